package dev.cogvideox.train.run;

import dev.cogvideox.model.vae.AutoencoderKLCogVideoX;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.progress.ProgressUnit;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.data.ClipShape;
import dev.cogvideox.train.optim.LearningRateSchedule;
import dev.cogvideox.train.vae.VaeLoss;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link VaeTrainingRun} end to end: a two-stage VAE trained from scratch on synthetic moving squares. */
class VaeTrainingRunTest {
    private static final String CONFIG = """
            {"_class_name": "AutoencoderKLCogVideoX", "block_out_channels": [4, 8], "latent_channels": 4, "layers_per_block": 1,
             "norm_num_groups": 2, "temporal_compression_ratio": 2, "sample_height": 16, "sample_width": 16}
            """;

    @TempDir
    Path tmp;

    private VaeTrainOptions options(Path output, int steps, double lr, int checkpointEvery, Path resume) throws IOException {
        Path config = tmp.resolve("config.json");
        Files.writeString(config, CONFIG);
        return new VaeTrainOptions(config, tmp.resolve("data"), output, new ClipShape(16, 16, 9),
                new VaeLoss.Config(VaeLoss.Reconstruction.L1, 1e-3, true), steps, lr, LearningRateSchedule.Kind.CONSTANT, 0, 1.0,
                checkpointEvery, resume, 7, null);
    }

    @Test
    void lossFallsAndTheVaeFolderLoads() throws IOException {
        SyntheticVideos.write(tmp.resolve("data"), 3, 9, 16);
        VaeTrainingRun.Result r = VaeTrainingRun.run(options(tmp.resolve("out"), 60, 1e-2, 0, null), ProgressListener.NONE,
                new CancellationToken(), m -> { });
        assertThat(r.steps()).isEqualTo(60);
        List<String> log = Files.readAllLines(tmp.resolve("out/loss.jsonl"));
        assertThat(log).hasSize(60);
        double first = meanLoss(log.subList(0, 10)), last = meanLoss(log.subList(50, 60));
        assertThat(last).as("mean loss of the last 10 steps vs the first 10 (%s)", first).isLessThan(0.6 * first);
        assertThat(tmp.resolve("out/loss.png")).isRegularFile();
        assertThat(tmp.resolve("out/checkpoint-60/trainable_weights.safetensors")).isRegularFile();
        try (AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.load(r.vae())) {
            Tensor frames = vae.decode(Tensor.zeros(1, 4, 5, 8, 8));
            assertThat(frames.shape()).containsExactly(1, 3, 9, 16, 16);
        }
    }

    /** --crop: steps train on windows (the loss log differs from whole clips), the result is a whole-size VAE; bad crops are refused by name. */
    @Test
    void cropsTrainOnWindowsOfTheClips() throws IOException {
        SyntheticVideos.write(tmp.resolve("data"), 3, 9, 16);
        VaeTrainOptions whole = options(tmp.resolve("whole"), 3, 1e-3, 0, null);
        VaeTrainOptions cropped = new VaeTrainOptions(whole.vaeConfig(), whole.data(), tmp.resolve("crop"), whole.shape(), whole.loss(), 3, 1e-3,
                whole.lrSchedule(), 0, 1.0, 0, null, 7, new ClipShape(8, 8, 5), 4);
        VaeTrainingRun.run(whole, ProgressListener.NONE, new CancellationToken(), m -> { });
        VaeTrainingRun.Result r = VaeTrainingRun.run(cropped, ProgressListener.NONE, new CancellationToken(), m -> { });
        assertThat(Files.readAllLines(tmp.resolve("crop/loss.jsonl"))).hasSize(3).isNotEqualTo(Files.readAllLines(tmp.resolve("whole/loss.jsonl")));
        try (AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.load(r.vae())) {
            assertThat(vae.decode(Tensor.zeros(1, 4, 5, 8, 8)).shape()).containsExactly(1, 3, 9, 16, 16);
        }
        assertThatThrownBy(() -> new VaeTrainOptions(whole.vaeConfig(), whole.data(), tmp.resolve("x"), whole.shape(), whole.loss(), 3, 1e-3,
                whole.lrSchedule(), 0, 1.0, 0, null, 7, new ClipShape(24, 8, 5))).hasMessageContaining("--crop 24x8x5").hasMessageContaining("--size 16x16x9");
    }

    private static double meanLoss(List<String> lines) {
        return lines.stream().mapToDouble(l -> Double.parseDouble(l.replaceAll(".*\"loss\":([^,]+),.*", "$1"))).average().orElseThrow();
    }

    /** Interrupted after step 4 and resumed: the same bytes as one uninterrupted run (weights, moments, loss log). */
    @Test
    void anInterruptedAndResumedRunEndsLikeAnUninterruptedOne() throws IOException {
        SyntheticVideos.write(tmp.resolve("data"), 3, 9, 16);                  // 4 samples: step 5 starts the second epoch
        VaeTrainingRun.Result whole = VaeTrainingRun.run(options(tmp.resolve("a"), 7, 1e-3, 0, null), ProgressListener.NONE,
                new CancellationToken(), m -> { });
        assertThat(whole.steps()).isEqualTo(7);

        CancellationToken cancel = new CancellationToken();
        VaeTrainingRun.Result first = VaeTrainingRun.run(options(tmp.resolve("b"), 7, 1e-3, 0, null), cancelAt(4, cancel), cancel, m -> { });
        assertThat(first.interrupted()).isTrue();
        assertThat(first.checkpoint()).isEqualTo(tmp.resolve("b/checkpoint-4"));
        assertThat(tmp.resolve("b/vae")).doesNotExist();
        VaeTrainingRun.Result resumed = VaeTrainingRun.run(options(tmp.resolve("b"), 7, 1e-3, 0, tmp.resolve("b")), ProgressListener.NONE,
                new CancellationToken(), m -> { });
        assertThat(resumed.steps()).isEqualTo(7);

        assertThat(Files.readAllBytes(tmp.resolve("b/vae/diffusion_pytorch_model.safetensors")))
                .isEqualTo(Files.readAllBytes(tmp.resolve("a/vae/diffusion_pytorch_model.safetensors")));
        assertThat(Files.readAllBytes(tmp.resolve("b/checkpoint-7/optimizer.safetensors")))
                .isEqualTo(Files.readAllBytes(tmp.resolve("a/checkpoint-7/optimizer.safetensors")));
        assertThat(Files.readAllLines(tmp.resolve("b/loss.jsonl"))).isEqualTo(Files.readAllLines(tmp.resolve("a/loss.jsonl")));
    }

    /** A finished run resumed with a larger --steps goes on; at a constant rate it ends as one longer run would. */
    @Test
    void aFinishedRunExtendedWithMoreStepsEndsAsOneLongerRun() throws IOException {
        SyntheticVideos.write(tmp.resolve("data"), 3, 9, 16);
        VaeTrainingRun.run(options(tmp.resolve("a"), 7, 1e-3, 0, null), ProgressListener.NONE, new CancellationToken(), m -> { });
        VaeTrainingRun.Result four = VaeTrainingRun.run(options(tmp.resolve("b"), 4, 1e-3, 0, null), ProgressListener.NONE, new CancellationToken(), m -> { });
        assertThat(four.interrupted()).isFalse();
        assertThatThrownBy(() -> VaeTrainingRun.run(options(tmp.resolve("b"), 3, 1e-3, 0, tmp.resolve("b")), ProgressListener.NONE,
                new CancellationToken(), m -> { })).hasMessageContaining("at step 4").hasMessageContaining("--steps 4 or more");
        VaeTrainingRun.Result seven = VaeTrainingRun.run(options(tmp.resolve("b"), 7, 1e-3, 0, tmp.resolve("b")), ProgressListener.NONE,
                new CancellationToken(), m -> { });
        assertThat(seven.steps()).isEqualTo(7);
        assertThat(Files.readAllBytes(tmp.resolve("b/vae/diffusion_pytorch_model.safetensors")))
                .isEqualTo(Files.readAllBytes(tmp.resolve("a/vae/diffusion_pytorch_model.safetensors")));
        assertThat(Files.readAllLines(tmp.resolve("b/loss.jsonl"))).isEqualTo(Files.readAllLines(tmp.resolve("a/loss.jsonl")));
    }

    @Test
    void badOptionsAreClearErrors() throws IOException {
        SyntheticVideos.write(tmp.resolve("data"), 1, 5, 16);
        VaeTrainOptions o = options(tmp.resolve("out"), 2, 1e-3, 0, null);
        Path eightfold = tmp.resolve("eightfold.json");
        Files.writeString(eightfold, CONFIG.replace("\"temporal_compression_ratio\": 2", "\"temporal_compression_ratio\": 8"));
        assertThatThrownBy(() -> VaeTrainingRun.run(new VaeTrainOptions(eightfold, o.data(), o.output(), new ClipShape(16, 16, 13),
                o.loss(), 2, 1e-3, o.lrSchedule(), 0, 1.0, 0, null, 7, null), ProgressListener.NONE, new CancellationToken(), m -> { }))
                .hasMessageContaining("eightfold.json").hasMessageContaining("temporal_compression_ratio");  // two down blocks halve time twice at most
        VaeTrainingRun.run(o, ProgressListener.NONE, new CancellationToken(), m -> { });
        assertThatThrownBy(() -> VaeTrainingRun.run(new VaeTrainOptions(o.vaeConfig(), o.data(), o.output(), o.shape(), o.loss(), 2, 5e-3,
                o.lrSchedule(), 0, 1.0, 0, tmp.resolve("out"), 7, null), ProgressListener.NONE, new CancellationToken(), m -> { }))
                .hasMessageContaining("--resume").hasMessageContaining("resume with the same options");
    }

    private static ProgressListener cancelAt(int step, CancellationToken cancel) {
        return new ProgressListener() {
            @Override
            public void onStart(String task, long total, ProgressUnit unit) {
            }

            @Override
            public void onProgress(long done) {
                if (done == step) {
                    cancel.cancel();
                }
            }

            @Override
            public void onEnd() {
            }
        };
    }
}
