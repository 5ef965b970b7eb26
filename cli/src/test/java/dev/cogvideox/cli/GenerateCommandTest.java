package dev.cogvideox.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.video.Mp4Boxes;
import dev.cogvideox.synth.DefaultModel;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.onednn.OneDnnKernels;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * End to end through the command line: {@code generate} from a prompt string on the fixtures' tiny models, the
 * video checked with a reader that is not ours (an MP4 box parser, ImageIO for PNG), and the frames compared with
 * the reference pipeline's output when the reference's random draws are replayed.
 */
class GenerateCommandTest {
    private static final Path FIXTURES = GoldenSuite.defaultFixtureRoot();

    @TempDir
    Path tmp;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private static JsonNode golden(String name) throws IOException {
        return new ObjectMapper().readTree(FIXTURES.resolve("golden/" + name + ".json").toFile());
    }

    /** The CLI arguments that reproduce a pipeline_e2e case: its model, prompt and settings, its recorded draws. */
    private static List<String> e2eArgs(String name) throws IOException {
        JsonNode a = golden(name).path("arguments");
        return new ArrayList<>(List.of("generate", "--model", FIXTURES.resolve(golden(name).path("model_dir").asText()).toString(),
                "--prompt", a.path("prompt").asText(), "--frames", a.path("num_frames").asText(),
                "--height", a.path("height").asText(), "--width", a.path("width").asText(),
                "--steps", a.path("num_inference_steps").asText(), "--guidance", a.path("guidance_scale").asText(),
                a.path("use_dynamic_cfg").asBoolean(false) ? "--dynamic-cfg" : "--no-dynamic-cfg",
                "--noise", FIXTURES.resolve("golden/" + name + ".safetensors").toString()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pipeline_e2e_t2v_2b_prompt", "pipeline_e2e_t2v_5b_prompt"})
    void promptToPngFramesReproducesTheReference(String name) throws IOException {
        List<String> args = e2eArgs(name);
        Path frames = tmp.resolve("frames");
        args.addAll(List.of("--output", frames + "/"));
        CliRun r = run(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        assertPngFramesMatch(frames, name);
    }

    @Test
    void latentsThenDecodeReproducesTheReference() throws IOException {
        String name = "pipeline_e2e_t2v_2b_prompt";
        List<String> args = e2eArgs(name);
        Path latents = tmp.resolve("run/latents.safetensors");
        args.addAll(List.of("--output", latents.toString()));
        CliRun r = run(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("denoising").doesNotContain("VAE decode").doesNotContain("decoding");
        try (SafetensorsFile got = SafetensorsFile.open(latents);
             SafetensorsFile ref = SafetensorsFile.open(FIXTURES.resolve("golden/" + name + ".safetensors"))) {
            float[] want = ref.entry("out.latents").toTensor().data();                // [1, F, C, h, w]
            float[] have = got.entry("latents").toTensor().data();
            assertThat(have).hasSameSizeAs(want);
            for (int i = 0; i < want.length; i++) {
                // the case's tolerance for out.latents: 2e-4 + 1e-4 |expected|
                assertThat((double) have[i]).as("latents[%d]", i).isCloseTo(want[i], org.assertj.core.data.Offset.offset(2e-4 + 1e-4 * Math.abs(want[i])));
            }
        }
        Path frames = tmp.resolve("frames");
        String model = FIXTURES.resolve(golden(name).path("model_dir").asText()).toString();
        CliRun d = run("decode", "--model", model, "--latents", latents.toString(), "--output", frames + "/");
        assertThat(d.exit()).as(d.err()).isZero();
        assertThat(d.err()).contains("memory plan").contains("VAE decode").doesNotContain("transformer");
        assertPngFramesMatch(frames, name);
    }

    @Test
    void decodeRefusesLatentsOfAModelWithAnotherVae() throws IOException {
        List<String> args = e2eArgs("pipeline_e2e_t2v_2b_prompt");
        Path latents = tmp.resolve("latents.safetensors");
        args.addAll(List.of("--output", latents.toString()));
        assertThat(run(args.toArray(String[]::new)).exit()).isZero();
        Path mp4 = tmp.resolve("out.mp4");
        CliRun d = run("decode", "--model", FIXTURES.resolve("models/tiny-cogvideox-5b").toString(), "--latents", latents.toString(),
                "--output", mp4.toString());
        assertThat(d.exit()).isEqualTo(2);
        assertThat(d.err()).contains(latents.toString()).contains("scaling factor 1.15258426").contains("scaling factor 0.7");
        assertThat(mp4).doesNotExist();
        CliRun notLatents = run("decode", "--latents", FIXTURES.resolve("golden/pipeline_e2e_t2v_2b_prompt.safetensors").toString(),
                "--model", FIXTURES.resolve("models/tiny-cogvideox-2b").toString(), "--output", mp4.toString());
        assertThat(notLatents.exit()).isEqualTo(2);
        assertThat(notLatents.err()).contains("not a latents file");
    }

    /** PNG frames in {@code frames} against the case's {@code out.video}, within one 8-bit level. */
    static void assertPngFramesMatch(Path frames, String name) throws IOException {
        Tensor want;
        try (SafetensorsFile f = SafetensorsFile.open(FIXTURES.resolve("golden/" + name + ".safetensors"))) {
            want = f.entry("out.video").toTensor();                                    // [1, F, 3, H, W] in [0, 1]
        }
        List<Path> pngs;
        try (Stream<Path> s = Files.list(frames)) {
            pngs = s.sorted().toList();
        }
        assertThat(pngs).hasSize(want.dim(1));
        int h = want.dim(3), w = want.dim(4);
        for (int f = 0; f < pngs.size(); f++) {
            BufferedImage img = ImageIO.read(pngs.get(f).toFile());
            assertThat(img.getWidth()).isEqualTo(w);
            assertThat(img.getHeight()).isEqualTo(h);
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int got = (img.getRGB(x, y) >> (16 - 8 * c)) & 0xff;
                        float expected = want.data()[((f * 3 + c) * h + y) * w + x] * 255f;
                        // 8-bit quantisation: within one level of the reference's float value
                        assertThat((double) got).as("frame %d channel %d at (%d, %d)", f, c, x, y).isCloseTo(expected, org.assertj.core.data.Offset.offset(1.0));
                    }
                }
            }
        }
    }

    @Test
    void writesAnMp4ThatAnIndependentReaderAccepts() throws IOException {
        List<String> args = e2eArgs("pipeline_e2e_t2v_5b_prompt");
        Path mp4 = tmp.resolve("out.mp4");
        args.addAll(List.of("--output", mp4.toString(), "--fps", "8"));
        CliRun r = run(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        Mp4Boxes boxes = Mp4Boxes.parse(mp4);
        assertThat(boxes.frames()).isEqualTo(9);
        assertThat(boxes.width()).isEqualTo(64);
        assertThat(boxes.height()).isEqualTo(64);
        assertThat(boxes.fps()).isCloseTo(8.0, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(r.err()).contains("memory plan").contains("denoising").contains("decoding");
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("out.mp4");
        }
    }

    @Test
    void imageToVideoFromAPngFile() throws IOException {
        Path png = tmp.resolve("first.png");
        BufferedImage img = new BufferedImage(96, 80, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 80; y++) {
            for (int x = 0; x < 96; x++) {
                img.setRGB(x, y, (x * 2) << 16 | (y * 3) << 8 | 128);
            }
        }
        ImageIO.write(img, "png", png.toFile());
        Path mp4 = tmp.resolve("i2v.mp4");
        CliRun r = run("generate", "--model", FIXTURES.resolve("models/tiny-cogvideox-5b-i2v").toString(), "--prompt", "a red kite",
                "--image", png.toString(), "--frames", "9", "--height", "64", "--width", "64", "--steps", "2", "--output", mp4.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        Mp4Boxes boxes = Mp4Boxes.parse(mp4);
        assertThat(boxes.frames()).isEqualTo(9);
        assertThat(boxes.width()).isEqualTo(64);
    }

    @Test
    void quantizedWeightsStayNearTheReferenceLatents() throws IOException {
        String name = "pipeline_e2e_t2v_2b_prompt";
        double[] rel = new double[2];
        String[] kinds = {"int8", "q4"};
        for (int k = 0; k < 2; k++) {
            List<String> args = e2eArgs(name);
            Path latents = tmp.resolve(kinds[k] + "/latents.safetensors");
            args.addAll(List.of("--weights", kinds[k], "--output", latents.toString()));
            CliRun r = run(args.toArray(String[]::new));
            assertThat(r.exit()).as(r.err()).isZero();
            try (SafetensorsFile got = SafetensorsFile.open(latents);
                 SafetensorsFile ref = SafetensorsFile.open(FIXTURES.resolve("golden/" + name + ".safetensors"))) {
                float[] want = ref.entry("out.latents").toTensor().data();
                float[] have = got.entry("latents").toTensor().data();
                double err = 0, norm = 0;
                for (int i = 0; i < want.length; i++) {
                    err += (have[i] - want[i]) * (double) (have[i] - want[i]);
                    norm += want[i] * (double) want[i];
                }
                rel[k] = Math.sqrt(err / norm);
            }
        }
        System.out.printf(java.util.Locale.ROOT, "%s latents, rms relative error: int8 %.3e, q4 %.3e%n", name, rel[0], rel[1]);
        // T5 and transformer quantized: about 1% a layer for int8, 10-20% for Q4_0 (see QuantizedTransformerErrorTest)
        assertThat(rel[0]).isGreaterThan(0).isLessThan(0.05);
        assertThat(rel[1]).isGreaterThan(rel[0]).isLessThan(0.5);
        assertError(run("generate", "--model", FIXTURES.resolve("models/tiny-cogvideox-2b").toString(), "--prompt", "p",
                "--weights", "fp8", "--output", tmp.resolve("x.mp4").toString()), "--weights must be int8");
    }

    @Test
    void bf16ComputeStaysNearTheReferenceLatents() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(OneDnnKernels.cpuHasBf16(), "no bf16 dot products on this CPU: --compute bf16 falls back to fp32");
        String name = "pipeline_e2e_t2v_2b_prompt";
        List<String> args = e2eArgs(name);
        Path latents = tmp.resolve("bf16/latents.safetensors");
        args.addAll(List.of("--compute", "bf16", "--output", latents.toString()));
        String before = System.getProperty(OneDnnKernels.MIN_MACS_PROPERTY);
        System.setProperty(OneDnnKernels.MIN_MACS_PROPERTY, "0");           // the tiny model's products are all small
        CliRun r;
        try {
            r = run(args.toArray(String[]::new));
        } finally {
            if (before == null) {
                System.clearProperty(OneDnnKernels.MIN_MACS_PROPERTY);
            } else {
                System.setProperty(OneDnnKernels.MIN_MACS_PROPERTY, before);
            }
        }
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("compute: bf16 linear layers and convolutions on oneDNN").contains("--compute bf16");
        double rel;
        try (SafetensorsFile got = SafetensorsFile.open(latents);
             SafetensorsFile ref = SafetensorsFile.open(FIXTURES.resolve("golden/" + name + ".safetensors"))) {
            float[] want = ref.entry("out.latents").toTensor().data();
            float[] have = got.entry("latents").toTensor().data();
            double err = 0, norm = 0;
            for (int i = 0; i < want.length; i++) {
                err += (have[i] - want[i]) * (double) (have[i] - want[i]);
                norm += want[i] * (double) want[i];
            }
            rel = Math.sqrt(err / norm);
        }
        System.out.printf(java.util.Locale.ROOT, "%s latents with --compute bf16, rms relative error %.3e%n", name, rel);
        // T5 and transformer on bf16 products: about 0.4-0.8% on their outputs (Bf16ComputeErrorTest)
        assertThat(rel).isGreaterThan(1e-4).isLessThan(0.03);
        assertError(run("generate", "--model", FIXTURES.resolve("models/tiny-cogvideox-2b").toString(), "--prompt", "p",
                "--compute", "fp16", "--output", tmp.resolve("x.mp4").toString()), "--compute must be fp32 or bf16");
    }

    /** Where the bf16 kernels cannot run, --compute bf16 says why and computes exactly what fp32 computes. */
    @Test
    void bf16ComputeFallsBackToFp32WithANote() throws IOException {
        String name = "pipeline_e2e_t2v_2b_prompt";
        float[][] latents = new float[2][];
        for (int i = 0; i < 2; i++) {
            List<String> args = e2eArgs(name);
            Path out = tmp.resolve("fallback" + i + "/latents.safetensors");
            args.addAll(List.of("--output", out.toString()));
            if (i == 1) {
                args.addAll(List.of("--compute", "bf16"));
            }
            System.setProperty(OneDnnKernels.DISABLE_PROPERTY, "true");
            CliRun r;
            try {
                r = run(args.toArray(String[]::new));
            } finally {
                System.clearProperty(OneDnnKernels.DISABLE_PROPERTY);
            }
            assertThat(r.exit()).as(r.err()).isZero();
            if (i == 1) {
                assertThat(r.err()).contains("note: --compute bf16 is not available here (turned off by -Dcogvideox.onednn.disable=true); computing in fp32");
            }
            try (SafetensorsFile f = SafetensorsFile.open(out)) {
                latents[i] = f.entry("latents").toTensor().data();
            }
        }
        assertThat(latents[1]).containsExactly(latents[0]);
    }

    @Test
    void aLoraFileChangesTheVideoByItsScale() throws IOException {
        Path lora = FIXTURES.resolve("golden/train_lora_checkpoint_2b/pytorch_lora_weights.safetensors");
        String model = FIXTURES.resolve("models/tiny-cogvideox-2b").toString();
        List<String> base = List.of("generate", "--model", model, "--prompt", "a lighthouse", "--frames", "9", "--height", "64",
                "--width", "64", "--steps", "2", "--seed", "3");
        int[][] frames = new int[3][];   // pixels: the files differ anyway, as each stores its own settings
        String[][] extra = {{}, {"--lora", lora.toString(), "--lora-scale", "0"}, {"--lora", lora.toString(), "--lora-scale", "1"}};
        for (int i = 0; i < 3; i++) {
            List<String> args = new ArrayList<>(base);
            args.addAll(List.of(extra[i]));
            Path dir = tmp.resolve("run" + i);
            args.addAll(List.of("--output", dir + "/"));
            CliRun r = run(args.toArray(String[]::new));
            assertThat(r.exit()).as(r.err()).isZero();
            BufferedImage png = ImageIO.read(dir.resolve("frame_0004.png").toFile());
            frames[i] = png.getRGB(0, 0, png.getWidth(), png.getHeight(), null, 0, png.getWidth());
        }
        assertThat(frames[1]).as("scale 0 leaves the model as it is").isEqualTo(frames[0]);
        assertThat(frames[2]).as("scale 1 changes the video").isNotEqualTo(frames[0]);
        Path wrong = tmp.resolve("wrong.safetensors");
        new dev.cogvideox.io.SafetensorsWriter(java.util.Map.of("format", "pt"))
                .add("transformer.transformer_blocks.7.attn1.to_q.lora_A.weight", dev.cogvideox.tensor.DType.F32, Tensor.zeros(4, 32))
                .add("transformer.transformer_blocks.7.attn1.to_q.lora_B.weight", dev.cogvideox.tensor.DType.F32, Tensor.zeros(32, 4))
                .write(wrong);
        List<String> args = new ArrayList<>(base);
        args.addAll(List.of("--lora", wrong.toString(), "--output", tmp.resolve("w.mp4").toString()));
        assertError(run(args.toArray(String[]::new)), "transformer_blocks.7");
    }

    @Test
    void badInputsFailClearlyAndWriteNothing() throws IOException {
        String t2v = FIXTURES.resolve("models/tiny-cogvideox-5b").toString();
        String v15 = FIXTURES.resolve("models/tiny-cogvideox1.5-5b").toString();
        String out = tmp.resolve("x.mp4").toString();
        assertError(run("generate", "--model", t2v, "--prompt", "p", "--frames", "10", "--height", "64", "--width", "64", "--output", out),
                "was trained on 8N+1 frames");
        assertError(run("generate", "--model", v15, "--prompt", "p", "--frames", "9", "--height", "64", "--width", "64", "--output", out),
                "was trained on 16N+1 frames");
        // what the model would return instead, as diffusers does: 13 frames are 4 latent frames, decoded as 8 + 8
        assertError(run("generate", "--model", t2v, "--prompt", "p", "--frames", "13", "--height", "64", "--width", "64", "--output", out),
                "return 16 frames");
        assertError(run("generate", "--model", t2v, "--prompt", "p", "--frames", "9", "--height", "60", "--width", "64", "--output", out),
                "multiples of 16");
        Path png = tmp.resolve("i.png");
        ImageIO.write(new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB), "png", png.toFile());
        assertError(run("generate", "--model", t2v, "--prompt", "p", "--image", png.toString(), "--frames", "9", "--height", "64", "--width", "64", "--output", out),
                "text-to-video model");
        assertError(run("generate", "--model", t2v, "--prompt", "p", "--dtype", "fp16", "--frames", "9", "--height", "64", "--width", "64", "--output", out),
                "NaN");
        assertError(run("generate", "--model", "nobody/no-such-model", "--prompt", "p", "--output", out), "--download");
        assertError(run("generate", "--model", t2v, "--prompt", "p", "--output", "/proc/cannot/x.mp4"), "/proc/cannot");
        assertError(run("generate", "--model", t2v, "--prompt", "p", "--output", tmp.resolve("x.avi").toString()), "x.avi");
        assertError(run("generate", "--model", t2v, "--prompt", "p", "--parallel", "tensor", "--output", out),
                "--parallel takes cfg, sequence or cfg,sequence, not tensor");
        assertError(run("generate", "--model", t2v, "--prompt", "p", "--load-timeout", "-1", "--output", out),
                "--load-timeout must not be negative (0 waits for ever), got -1");
        Path broken = tmp.resolve("broken");
        Files.createDirectories(broken.resolve("transformer"));
        Files.copy(Path.of(t2v, "model_index.json"), broken.resolve("model_index.json"));
        Files.copy(Path.of(t2v, "transformer/config.json"), broken.resolve("transformer/config.json"));
        assertError(run("generate", "--model", broken.toString(), "--prompt", "p", "--output", out), "no vae/ component");
        assertThat(Files.exists(Path.of(out))).isFalse();
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("i.png", "broken");
        }
    }

    /** No size options on a 1.5 model whose config bounds the RoPE grid below 1360 x 768: the defaults come from its config. */
    @Test
    void aOnePointFiveModelRunsWithoutSizeOptionsAndRefusesTooLargeSizesInPixels() throws IOException {
        String v15 = FIXTURES.resolve("models/tiny-cogvideox1.5-5b").toString();
        Path frames = tmp.resolve("v15");
        CliRun r = run("generate", "--model", v15, "--prompt", "a lantern", "--steps", "2", "--output", frames + "/");
        assertThat(r.exit()).as(r.err()).isZero();
        List<Path> pngs;
        try (Stream<Path> s = Files.list(frames)) {
            pngs = s.sorted().toList();
        }
        // 16 x 16 latents bound the grid to 128 x 128 pixels: 1360 x 768 scaled to fit is 128 x 72, floored to 16s
        assertThat(pngs).hasSize(17);
        BufferedImage first = ImageIO.read(pngs.getFirst().toFile());
        assertThat(new int[]{first.getWidth(), first.getHeight()}).containsExactly(128, 64);
        CliRun big = run("generate", "--model", v15, "--prompt", "p", "--height", "768", "--width", "1360", "--output",
                tmp.resolve("big.mp4").toString());
        assertError(big, "--height 768 --width 1360");
        assertThat(big.err()).contains("at most 128x128 pixels").doesNotContain("RoPE grid");
    }

    private static void assertError(CliRun r, String message) {
        assertThat(r.exit()).as(r.out() + r.err()).isNotZero();
        assertThat(r.err()).contains("error:").contains(message);
    }

    @Test
    void aPromptOutsideTheWorldGetsANoteOnlyWithTheTrainedDefaultModel() throws IOException {
        Path world = Files.createDirectories(tmp.resolve("world"));
        Files.writeString(world.resolve("model_index.json"), "{}");
        Path other = Files.createDirectories(tmp.resolve("other"));
        String before = System.getProperty(DefaultModel.TRAINED_PROPERTY);
        System.setProperty(DefaultModel.TRAINED_PROPERTY, world.toString());
        try {
            assertThat(GenerateCommand.worldPromptNote(world, "a cat walks on the beach")).hasValueSatisfying(note -> assertThat(note)
                    .startsWith("note: the default model is this project's procedural world model")
                    .contains("expected a colour", "at 'cat walks on the beach'", "give --model"));
            assertThat(GenerateCommand.worldPromptNote(world.resolve("."), "A red circle moving left on a black background.")).isEmpty();
            assertThat(GenerateCommand.worldPromptNote(other, "a cat walks on the beach")).isEmpty();
        } finally {
            if (before == null) {
                System.clearProperty(DefaultModel.TRAINED_PROPERTY);
            } else {
                System.setProperty(DefaultModel.TRAINED_PROPERTY, before);
            }
        }
    }
}
