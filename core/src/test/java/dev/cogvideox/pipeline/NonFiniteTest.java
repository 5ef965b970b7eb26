package dev.cogvideox.pipeline;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.vae.VaeTiling;
import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.SafetensorsWriter;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Finite;
import dev.cogvideox.tensor.NonFiniteException;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One NaN in a weight or in the latents stops the pipeline at the step or stage it appears in, before any output. */
class NonFiniteTest {
    static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");

    @TempDir
    Path tmp;

    /** A copy of the 2b fixture whose {@code component} weight {@code tensor} has {@code value} at element 0. */
    static Path withValue(Path out, String component, String tensor, float value) throws IOException {
        try (Stream<Path> files = Files.walk(MODEL)) {
            for (Path p : files.toList()) {
                Path target = out.resolve(MODEL.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        Path file = out.resolve(component).resolve("diffusion_pytorch_model.safetensors");
        SafetensorsWriter w = new SafetensorsWriter(Map.of("format", "pt"));
        try (SafetensorsFile f = SafetensorsFile.open(MODEL.resolve(component).resolve("diffusion_pytorch_model.safetensors"))) {
            for (String n : f.names()) {
                Tensor t = f.entry(n).toTensor();
                if (n.equals(tensor)) {
                    t.data()[0] = value;
                }
                w.add(n, DType.F32, t);
            }
        }
        Files.delete(file);
        w.write(file);
        return out;
    }

    private static GenerationRequest request() {
        TorchGenerator g = new TorchGenerator(3);
        return GenerationRequest.builder().promptEmbeds(g.randn(1, 16, 32), g.randn(1, 16, 32))
                .frames(9).size(64, 64).steps(3).guidance(6).build();
    }

    @Test
    void countsNaNAndBothInfinitiesOnly() {
        float[] v = {0f, -0f, Float.MAX_VALUE, -Float.MIN_VALUE, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e-45f};
        assertThat(Finite.countNonFinite(v)).isEqualTo(3);
        assertThat(Finite.countNonFinite(dev.cogvideox.tensor.Weight.of("w", Tensor.of(v, 8)))).isEqualTo(3);
    }

    @Test
    void aNaNTransformerWeightStopsTheFirstStepNamingIt() throws IOException {
        Path model = withValue(tmp.resolve("m"), "transformer", "proj_out.weight", Float.NaN);
        CogVideoXPipeline p = CogVideoXPipeline.load(model);
        List<Integer> frames = new ArrayList<>();
        assertThatThrownBy(() -> p.generate(request(), NoiseSource.of(new TorchGenerator(1)), RunContext.NONE, (sample, first, batch) -> frames.add(first)))
                .isInstanceOf(NonFiniteException.class)
                .hasMessageStartingWith("denoising step 1 of 3 (timestep ")
                .hasMessageContaining("latent values are NaN or infinite").hasMessageContaining("cogvideox inspect");
        assertThat(frames).as("no frame reached the output").isEmpty();
    }

    @Test
    void aNaNVaeWeightStopsTheDecodeBeforeTheFirstFrameIsHandedOn() throws IOException {
        Path model = withValue(tmp.resolve("m"), "vae", "decoder.conv_out.conv.weight", Float.POSITIVE_INFINITY);
        CogVideoXPipeline p = CogVideoXPipeline.load(model);
        Tensor latents = new TorchGenerator(2).randn(1, 3, 16, 8, 8);
        List<Integer> frames = new ArrayList<>();
        assertThatThrownBy(() -> p.decodeLatents(latents, VaeTiling.OFF, RunContext.NONE,
                (sample, first, batch) -> frames.add(first)))
                .isInstanceOf(NonFiniteException.class).hasMessageStartingWith("VAE decode, sample 0 from frame 0: ")
                .hasMessageContaining("decoded pixel values are NaN or infinite");
        assertThat(frames).isEmpty();
    }

    @Test
    void nonFiniteLatentsAreRefusedByTheDecoderAndInALatentsFile() {
        Tensor latents = new TorchGenerator(2).randn(1, 3, 16, 8, 8);
        latents.data()[17] = Float.NaN;
        latents.data()[18] = Float.NEGATIVE_INFINITY;
        CogVideoXPipeline p = CogVideoXPipeline.load(MODEL);
        assertThatThrownBy(() -> p.decodeLatents(latents, VaeTiling.OFF, RunContext.NONE, (s, f, b) -> { }))
                .isInstanceOf(NonFiniteException.class).hasMessageStartingWith("decode: 2 of 3072 input latent values are NaN or infinite");
        Path file = tmp.resolve("latents.safetensors");
        LatentsFile.write(file, latents, MODEL, "2b");
        assertThatThrownBy(() -> LatentsFile.read(file, MODEL)).isInstanceOf(NonFiniteException.class)
                .hasMessageStartingWith(file + ": 2 of 3072 latent values are NaN or infinite");
    }
}
