package dev.cogvideox.cli;

import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.video.VideoOptions;
import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriter;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code cogvideox train} end to end on the tiny 2b fixture and two synthetic GIFs. */
class TrainCommandTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");

    @TempDir
    Path tmp;

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out, oldErr = System.err;
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        try {
            return new Run(Main.commandLine().execute(args), out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
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
        Run r = run("train", "--model", MODEL.toString(), "--data", data.toString(), "--output", out.toString(),
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

    @Test
    void badOptionsExitWithAMessageNamingTheOption() throws IOException {
        Path data = dataset();
        Run both = run("train", "--model", MODEL.toString(), "--data", data.toString(), "--output", tmp.resolve("o").toString(),
                "--full", "--lora-rank", "4");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("--full", "--lora-rank");
        Run noData = run("train", "--model", MODEL.toString(), "--data", tmp.resolve("missing").toString(), "--output", tmp.resolve("o").toString());
        assertThat(noData.exit()).isEqualTo(2);
        assertThat(noData.err()).contains("--data " + tmp.resolve("missing"), "videos.txt");
        Run size = run("train", "--model", MODEL.toString(), "--data", data.toString(), "--output", tmp.resolve("o").toString(),
                "--stages", "48x40x5:2");
        assertThat(size.exit()).isEqualTo(2);
        assertThat(size.err()).contains("--stages 48x40x5:2", "multiples of 16");
    }
}
