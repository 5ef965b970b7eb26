package dev.cogvideox.cli;

import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.SafetensorsWriter;
import dev.cogvideox.pipeline.LatentsFile;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the command line refuses and how it says so: non-finite weights and latents, bad option values, errors at the boundary. */
class ValidationCliTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");

    @TempDir
    Path tmp;

    /** A copy of the 2b fixture with a NaN at element 0 of the transformer's {@code tensor}. */
    private Path nanModel(String tensor) throws IOException {
        Path out = tmp.resolve("nan-model");
        try (Stream<Path> files = Files.walk(MODEL)) {
            for (Path p : files.toList()) {
                Path target = out.resolve(MODEL.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.toString().endsWith("transformer/diffusion_pytorch_model.safetensors")) {
                    Files.copy(p, target);
                }
            }
        }
        SafetensorsWriter w = new SafetensorsWriter(Map.of("format", "pt"));
        try (SafetensorsFile f = SafetensorsFile.open(MODEL.resolve("transformer/diffusion_pytorch_model.safetensors"))) {
            for (String n : f.names()) {
                Tensor t = f.entry(n).toTensor();
                if (n.equals(tensor)) {
                    t.data()[0] = Float.NaN;
                }
                w.add(n, DType.F32, t);
            }
        }
        w.write(out.resolve("transformer/diffusion_pytorch_model.safetensors"));
        return out;
    }

    @Test
    void inspectReportsNaNWeightsAsAProblem() throws IOException {
        CliRun r = CliRun.of("inspect", nanModel("proj_out.weight").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).containsPattern("transformer +CogVideoXTransformer3DModel .* PROBLEM")
                .contains("transformer: 1 weight(s) hold NaN or infinite values").contains("proj_out.weight (1 of ")
                .doesNotContain("no problems found");
    }

    @Test
    void generateWithNaNWeightsStopsAtTheFirstStepAndWritesNothing() throws IOException {
        Path model = nanModel("proj_out.weight");
        Path outDir = Files.createDirectories(tmp.resolve("out"));
        CliRun r = CliRun.of("generate", "--model", model.toString(), "--prompt", "a lighthouse", "--steps", "2",
                "--output", outDir.resolve("v.mp4").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("error: denoising step 1 of 2 (timestep ").contains("latent values are NaN or infinite")
                .doesNotContain("Exception").doesNotContain("\tat ");
        try (Stream<Path> files = Files.list(outDir)) {
            assertThat(files).as("no video and no partial file").isEmpty();
        }
    }

    @Test
    void decodeRefusesNonFiniteLatentsNamingTheFile() throws IOException {
        Tensor latents = new TorchGenerator(2).randn(1, 3, 16, 8, 8);
        latents.data()[5] = Float.POSITIVE_INFINITY;
        Path file = tmp.resolve("latents.safetensors");
        LatentsFile.write(file, latents, MODEL, "2b");
        CliRun r = CliRun.of("decode", "--model", MODEL.toString(), "--latents", file.toString(), "--output", tmp.resolve("v.gif").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("error: " + file + ": 1 of 3072 latent values are NaN or infinite");
        assertThat(tmp.resolve("v.gif")).doesNotExist();
    }

    @Test
    void aKilledRunsPartialFileIsRemovedByTheNextGenerate() throws IOException, InterruptedException {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path stale = Files.writeString(tmp.resolve(".v.gif." + gone.pid() + "-77.partial"), "half a video");
        CliRun r = CliRun.of("generate", "--model", MODEL.toString(), "--prompt", "a lighthouse", "--steps", "1",
                "--output", tmp.resolve("v.gif").toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(stale).doesNotExist();
        assertThat(tmp.resolve("v.gif")).isRegularFile();
    }

    @ParameterizedTest
    @ValueSource(strings = {"NaN", "Infinity", "-Infinity", "-1"})
    void guidanceMustBeFiniteAndNotNegative(String value) {
        CliRun r = CliRun.of("generate", "--model", MODEL.toString(), "--prompt", "x", "--guidance", value);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("error: --guidance must be a finite number >= 0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-3"})
    void threadsMustBePositive(String value) {
        CliRun r = CliRun.of("inspect", "--threads", value, MODEL.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--threads must be at least 1, got " + value);
    }

    @Test
    void strengthNeedsAVideo() {
        CliRun r = CliRun.of("generate", "--model", MODEL.toString(), "--prompt", "x", "--strength", "0.5");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("error: --strength is for video-to-video: give --video");
    }

    @Test
    void seedsTakeEveryValueTorchTakes() {
        GenerateCommand.Seed seed = new GenerateCommand.Seed();
        assertThat(seed.convert("18446744073709551615")).isEqualTo(-1L);                         // 2^64 - 1
        assertThat(seed.convert("9223372036854775808")).isEqualTo(Long.MIN_VALUE);                // 2^63
        assertThat(seed.convert("-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
        assertThat(seed.convert("42")).isEqualTo(42L);
        assertThatThrownBy(() -> seed.convert("18446744073709551616")).isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessageContaining("outside -2^63 to 2^64-1");
        assertThatThrownBy(() -> seed.convert("4.2")).hasMessageContaining("not an integer");
        CliRun r = CliRun.of("generate", "--model", MODEL.toString(), "--prompt", "x", "--seed", "18446744073709551616");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--seed").contains("outside -2^63 to 2^64-1");
    }

    @Test
    void aModelIndexOfAnotherPipelineIsOneLine() throws IOException {
        Path model = tmp.resolve("sd");
        Files.createDirectories(model);
        Files.writeString(model.resolve("model_index.json"), "{\"_class_name\": \"StableDiffusionPipeline\", \"unet\": [\"diffusers\", \"UNet2DConditionModel\"]}");
        CliRun r = CliRun.of("generate", "--model", model.toString(), "--prompt", "x");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("error: " + model.resolve("model_index.json") + ": _class_name 'StableDiffusionPipeline' is not a "
                + "pipeline this program runs (one of [CogVideoXImageToVideoPipeline, CogVideoXPipeline, CogVideoXVideoToVideoPipeline]); "
                + "give a CogVideoX model folder");
    }

    // ---------------------------------------------------------------- the error reporter

    private static String report(Throwable t) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = ErrorReporter.report(t, new PrintStream(err, true));
        return exit + " " + err.toString().strip();
    }

    @Test
    void anOutOfMemoryErrorNamesTheStageTheHeapAndWhatLowersIt() {
        OutOfMemoryError vae = new OutOfMemoryError("Java heap space");
        vae.setStackTrace(new StackTraceElement[]{new StackTraceElement("dev.cogvideox.tensor.Tensor", "zeros", "Tensor.java", 27),
                new StackTraceElement("dev.cogvideox.model.vae.CogVideoXDecoder3D", "forward", "CogVideoXDecoder3D.java", 80)});
        assertThat(report(new IllegalStateException(vae))).startsWith("3 error: out of memory in the VAE stage (Java heap space; the Java heap is ")
                .contains("use --vae-tiling").contains("COGVIDEOX_JAVA_OPTS=-Xmx").doesNotContain("\tat ");
        OutOfMemoryError text = new OutOfMemoryError("Java heap space");
        text.setStackTrace(new StackTraceElement[]{new StackTraceElement("dev.cogvideox.model.text.T5Attention", "computeBias", "T5Attention.java", 70)});
        assertThat(report(text)).contains("out of memory in the text encoder stage");
    }

    @Test
    void fileSystemErrorsAndParserInternalsBecomeWords() {
        assertThat(report(new UncheckedIOException(new FileSystemException("/data/clips", null, "No such device"))))
                .isEqualTo("2 error: /data/clips: is a folder, a file was expected");
        assertThat(report(new IllegalArgumentException("state.json: bad value\n at [Source: REDACTED; line: 1] (through reference chain: X[\"a\"])")))
                .isEqualTo("2 error: state.json: bad value");
        assertThat(report(new NullPointerException())).startsWith("2 error: internal error (NullPointerException at ")
                .contains("please report it");
    }
}
