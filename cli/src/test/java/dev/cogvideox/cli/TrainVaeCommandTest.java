package dev.cogvideox.cli;

import dev.cogvideox.io.video.VideoOptions;
import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriter;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoX;
import dev.cogvideox.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code cogvideox train-vae} end to end: a tiny VAE from scratch on one GIF; a malformed size is one clear line. */
class TrainVaeCommandTest {
    @TempDir
    Path tmp;

    @Test
    void trainsAVaeWithCheckpointsAndALoadableFolder() throws IOException {
        Path data = tmp.resolve("data");
        Files.createDirectories(data);
        Tensor frames = Tensor.zeros(5, 3, 16, 16);
        float[] d = frames.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (i % 16) / 4 == i / (3 * 16 * 16) ? 0.9f : 0.1f;
        }
        try (VideoWriter w = VideoWriters.open(VideoOutput.parse(data.resolve("bar.gif").toString()), VideoOptions.fps(8))) {
            w.write(frames);
            w.finish();
        }
        Files.write(data.resolve("videos.txt"), List.of("bar.gif"));
        Files.write(data.resolve("prompts.txt"), List.of("a bar"));
        Path config = tmp.resolve("config.json");
        Files.writeString(config, "{\"block_out_channels\": [4, 8], \"latent_channels\": 4, \"layers_per_block\": 1, "
                + "\"norm_num_groups\": 2, \"temporal_compression_ratio\": 2}");
        Path out = tmp.resolve("out");
        String[] common = {"train-vae", "--vae-config", config.toString(), "--data", data.toString(), "--output", out.toString(),
                "--size", "16x16x5", "--steps", "4", "--checkpoint-every", "2", "--lr", "1e-3"};

        CliRun r = CliRun.of(common);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("trained 4 steps", out.resolve("vae").toString());
        assertThat(Files.readAllLines(out.resolve("loss.jsonl"))).hasSize(4);
        assertThat(out.resolve("checkpoint-2/trainer_state.json")).isRegularFile();
        try (AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.load(out.resolve("vae"))) {
            assertThat(vae.config().latentChannels()).isEqualTo(4);
        }

        CliRun bad = CliRun.of("train-vae", "--vae-config", config.toString(), "--data", data.toString(), "--output", out.toString(),
                "--size", "16x16", "--steps", "4");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("--size 16x16: expected WIDTHxHEIGHTxFRAMES");
        // the optimizer's options are train's (OptimizerOptions): a rate that is not a finite positive number is refused
        for (String[] o : new String[][] {{"--lr", "NaN"}, {"--lr", "0"}, {"--max-grad-norm", "-1"}, {"--lr-schedule", "exp"}}) {
            CliRun refused = CliRun.of("train-vae", "--vae-config", config.toString(), "--data", data.toString(), "--output",
                    tmp.resolve("o").toString(), "--size", "16x16x5", "--steps", "4", o[0], o[1]);
            assertThat(refused.exit()).as(o[0]).isEqualTo(2);
            assertThat(refused.err()).as(o[0]).contains(o[0], o[1]).doesNotContain("Exception");
        }
        assertThat(tmp.resolve("o")).doesNotExist();
    }
}
