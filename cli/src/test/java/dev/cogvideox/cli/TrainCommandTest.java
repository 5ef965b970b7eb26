package dev.cogvideox.cli;

import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.SafetensorsWriter;
import dev.cogvideox.io.video.VideoOptions;
import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriter;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code cogvideox train} end to end on the tiny 2b fixture and two synthetic GIFs. */
class TrainCommandTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");

    @TempDir
    Path tmp;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    /** Two 5-frame 32x32 GIFs of a bar sweeping across (one horizontal, one vertical) with captions. */
    private Path dataset() throws IOException {
        Path dir = tmp.resolve("data");
        Files.createDirectories(dir);
        for (int c = 0; c < 2; c++) {
            Tensor frames = Tensor.zeros(5, 3, 32, 32);
            float[] d = frames.data();
            for (int i = 0; i < d.length; i++) {
                int x = i % 32, y = (i / 32) % 32, f = i / (3 * 32 * 32);
                d[i] = (c == 0 ? x : y) / 6 == f ? 0.9f : 0.1f;
            }
            try (VideoWriter w = VideoWriters.open(VideoOutput.parse(dir.resolve("bar" + c + ".gif").toString()), VideoOptions.fps(8))) {
                w.write(frames);
                w.finish();
            }
        }
        Files.write(dir.resolve("videos.txt"), List.of("bar0.gif", "bar1.gif"));
        Files.write(dir.resolve("prompts.txt"), List.of("a bar sweeping right", "a bar sweeping down"));
        return dir;
    }

    @Test
    void trainsALoraWithCheckpointsLossLogCurveAndValidationVideos() throws IOException {
        Path data = dataset(), out = tmp.resolve("out");
        CliRun r = run("train", "--model", MODEL.toString(), "--data", data.toString(), "--output", out.toString(),
                "--lora-rank", "4", "--lora-alpha", "4", "--stages", "32x32x5:4", "--lr", "1e-3", "--checkpoint-every", "2",
                "--validation-prompt", "a bar", "--validation-every", "2", "--validation-steps", "2", "--seed", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("trained 4 steps", "pytorch_lora_weights.safetensors");
        assertThat(Files.readAllLines(out.resolve("loss.jsonl"))).hasSize(4).allSatisfy(l -> assertThat(l).contains("\"loss\":"));
        BufferedImage curve = ImageIO.read(out.resolve("loss.png").toFile());
        assertThat(curve.getWidth()).isEqualTo(800);
        for (String step : new String[]{"2", "4"}) {
            assertThat(out.resolve("checkpoint-" + step + "/trainer_state.json")).isRegularFile();
            assertThat(ImageIO.read(out.resolve("validation/step-00000" + step + ".gif").toFile()).getWidth()).isEqualTo(32);
        }
        try (SafetensorsFile lora = SafetensorsFile.open(out.resolve("pytorch_lora_weights.safetensors"))) {
            assertThat(lora.names()).hasSize(2 * 4 * 2).allSatisfy(k -> assertThat(k).startsWith("transformer.transformer_blocks."));
        }
    }

    /**
     * A LoRA trained here and loaded by {@code generate --lora F --lora-scale S} gives the video of the base model
     * with the weights the fused-weights golden ({@code train_lora_checkpoint_2b}) describes:
     * {@code W' = W + S * (alpha / r) * B @ A}, computed here in double precision into a separate model folder.
     */
    @Test
    void aLoraTrainedHereDrivesGenerateAsItsFusedWeights() throws IOException {
        Path out = tmp.resolve("out");
        CliRun trained = run("train", "--model", MODEL.toString(), "--data", dataset().toString(), "--output", out.toString(),
                "--lora-rank", "4", "--lora-alpha", "8", "--stages", "32x32x5:3", "--lr", "1e-2", "--checkpoint-every", "0",
                "--validation-steps", "1", "--seed", "5");
        assertThat(trained.exit()).as(trained.err()).isZero();
        Path lora = out.resolve("pytorch_lora_weights.safetensors");
        double scale = 0.5, scaling = 8.0 / 4;
        Path fusedModel = copyOfModel(tmp.resolve("fused-model"));
        Path weights = fusedModel.resolve("transformer/diffusion_pytorch_model.safetensors");
        SafetensorsWriter writer = new SafetensorsWriter(Map.of("format", "pt"));
        try (SafetensorsFile base = SafetensorsFile.open(MODEL.resolve("transformer/diffusion_pytorch_model.safetensors"));
             SafetensorsFile adapter = SafetensorsFile.open(lora)) {
            for (String name : base.names()) {
                String a = "transformer." + name.replace(".weight", ".lora_A.weight");
                Tensor w = base.entry(name).toTensor();
                writer.add(name, DType.F32, adapter.has(a)
                        ? fused(w, adapter.entry(a).toTensor(), adapter.entry(a.replace("lora_A", "lora_B")).toTensor(), scale * scaling)
                        : w);
            }
        }
        Files.delete(weights);
        writer.write(weights);

        List<String> common = List.of("generate", "--prompt", "a bar sweeping right", "--frames", "9", "--height", "32", "--width", "32",
                "--steps", "2", "--seed", "9");
        BufferedImage[] withLora = generate(common, tmp.resolve("lora"), "--model", MODEL.toString(), "--lora", lora.toString(),
                "--lora-scale", String.valueOf(scale));
        BufferedImage[] withFused = generate(common, tmp.resolve("fused"), "--model", fusedModel.toString());
        BufferedImage[] plain = generate(common, tmp.resolve("plain"), "--model", MODEL.toString());
        int changed = 0;
        for (int f = 0; f < plain.length; f++) {
            assertThat(maxChannelDifference(withLora[f], withFused[f])).as("frame %d: --lora against the fused weights", f).isLessThanOrEqualTo(1);
            changed = Math.max(changed, maxChannelDifference(withLora[f], plain[f]));
        }
        assertThat(changed).as("largest change the LoRA makes to a pixel channel").isGreaterThan(4);
    }

    /** {@code w + s * b @ a} with the product in double precision. */
    private static Tensor fused(Tensor w, Tensor a, Tensor b, double s) {
        int out = w.dim(0), in = w.dim(1), r = a.dim(0);
        float[] wd = w.data().clone(), ad = a.data(), bd = b.data();
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double sum = 0;
                for (int k = 0; k < r; k++) {
                    sum += (double) bd[o * r + k] * ad[k * in + i];
                }
                wd[o * in + i] = (float) (wd[o * in + i] + s * sum);
            }
        }
        return Tensor.of(wd, out, in);
    }

    private Path copyOfModel(Path target) throws IOException {
        try (Stream<Path> files = Files.walk(MODEL)) {
            for (Path p : files.toList()) {
                Path dest = target.resolve(MODEL.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest);
                }
            }
        }
        return target;
    }

    private static BufferedImage[] generate(List<String> common, Path dir, String... extra) throws IOException {
        List<String> args = new ArrayList<>(common);
        args.addAll(List.of(extra));
        args.addAll(List.of("--output", dir + "/"));
        CliRun r = run(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        try (Stream<Path> pngs = Files.list(dir)) {
            List<Path> frames = pngs.filter(p -> p.toString().endsWith(".png")).sorted().toList();
            assertThat(frames).hasSize(9);
            BufferedImage[] images = new BufferedImage[frames.size()];
            for (int i = 0; i < images.length; i++) {
                images[i] = ImageIO.read(frames.get(i).toFile());
            }
            return images;
        }
    }

    private static int maxChannelDifference(BufferedImage x, BufferedImage y) {
        int worst = 0;
        for (int py = 0; py < x.getHeight(); py++) {
            for (int px = 0; px < x.getWidth(); px++) {
                int p = x.getRGB(px, py), q = y.getRGB(px, py);
                for (int shift = 0; shift < 24; shift += 8) {
                    worst = Math.max(worst, Math.abs(((p >> shift) & 255) - ((q >> shift) & 255)));
                }
            }
        }
        return worst;
    }

    @Test
    void badOptionsExitWithAMessageNamingTheOption() throws IOException {
        Path data = dataset();
        CliRun both = run("train", "--model", MODEL.toString(), "--data", data.toString(), "--output", tmp.resolve("o").toString(),
                "--full", "--lora-rank", "4");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("--full", "--lora-rank");
        CliRun noData = run("train", "--model", MODEL.toString(), "--data", tmp.resolve("missing").toString(), "--output", tmp.resolve("o").toString());
        assertThat(noData.exit()).isEqualTo(2);
        assertThat(noData.err()).contains("--data " + tmp.resolve("missing"), "videos.txt");
        CliRun size = run("train", "--model", MODEL.toString(), "--data", data.toString(), "--output", tmp.resolve("o").toString(),
                "--stages", "48x40x5:2");
        assertThat(size.exit()).isEqualTo(2);
        assertThat(size.err()).contains("--stages 48x40x5:2", "multiples of 16");
        String[][] optimizer = {{"--lr", "NaN"}, {"--lr", "-0.5"}, {"--max-grad-norm", "Infinity"}, {"--warmup", "-5"},
                {"--lr-schedule", "step"}, {"--lora-alpha", "0"}};
        for (String[] o : optimizer) {
            CliRun bad = run("train", "--model", MODEL.toString(), "--data", data.toString(), "--output", tmp.resolve("refused").toString(), o[0], o[1]);
            assertThat(bad.exit()).as(o[0]).isEqualTo(2);
            assertThat(bad.err()).as(o[0]).contains(o[0], o[1]).doesNotContain("Exception");
        }
        assertThat(tmp.resolve("refused")).doesNotExist();
    }
}
