package dev.cogvideox.train.run;

import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.progress.ProgressUnit;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.lora.LoraFile;
import dev.cogvideox.train.lora.LoraWeights;
import dev.cogvideox.train.optim.LearningRateSchedule;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link TrainingRun} end to end on the tiny fixture models and a synthetic dataset of moving squares. */
class TrainingRunTest {
    private static final Path MODELS = GoldenSuite.defaultFixtureRoot().resolve("models");

    @TempDir
    Path tmp;

    private static TrainOptions options(Path model, Path data, Path output, Path cache, List<Stage> stages, int steps,
                                        double lr, int batchTokens, int checkpointEvery, Path resume) {
        return options(8, model, data, output, cache, stages, steps, lr, batchTokens, checkpointEvery, resume);
    }

    private static TrainOptions options(int loraRank, Path model, Path data, Path output, Path cache, List<Stage> stages, int steps,
                                        double lr, int batchTokens, int checkpointEvery, Path resume) {
        return new TrainOptions(model, data, output, cache, loraRank, 8, stages, steps, lr, LearningRateSchedule.Kind.CONSTANT, 0, 1.0,
                batchTokens, 4, null, 0, 2, checkpointEvery, resume, 42);
    }

    /**
     * A rank-8 LoRA on the 2b fixture, Frame Pack steps of 256 tokens (up to four clips, the still packed with them).
     * The loss cannot fall far: the fixture's VAE is random, so the posterior sample drawn every step (as diffusers
     * does) leaves much of the target unpredictable; a drop of more than 15% is learning, not noise (the step loss
     * of a fixed model varies by a few percent over 30 steps with Explicit Uniform Sampling).
     */
    @Test
    void lossDropsOverAFewHundredSteps() throws IOException {
        Path data = SyntheticVideos.write(tmp.resolve("data"), 4, 9, 64);
        TrainingRun.Result r = TrainingRun.run(options(MODELS.resolve("tiny-cogvideox-2b"), data, tmp.resolve("out"), null, null, 300,
                1e-2, 256, 0, null), ProgressListener.NONE, new CancellationToken(), m -> { });
        assertThat(r.steps()).isEqualTo(300);
        assertThat(r.problems()).isEmpty();
        List<String> log = Files.readAllLines(tmp.resolve("out/loss.jsonl"));
        assertThat(log).hasSize(300);
        double first = meanLoss(log.subList(0, 30)), last = meanLoss(log.subList(270, 300));
        assertThat(last).as("mean loss of the last 30 steps vs the first 30 (%s)", first).isLessThan(0.85 * first);
        assertThat(tmp.resolve("out/pytorch_lora_weights.safetensors")).isRegularFile();
        assertThat(tmp.resolve("out/loss.png")).isRegularFile();
        assertThat(tmp.resolve("out/checkpoint-300/optimizer.safetensors")).isRegularFile();
    }

    private static double meanLoss(List<String> lines) {
        return lines.stream().mapToDouble(l -> Double.parseDouble(l.replaceAll(".*\"loss\":([^,]+),.*", "$1"))).average().orElseThrow();
    }

    /** Two progressive stages on the RoPE model, interrupted after step 7 and resumed: the same bytes as one run. */
    @Test
    void anInterruptedAndResumedRunEndsWithTheWeightsOfAnUninterruptedOne() throws IOException {
        Path data = SyntheticVideos.write(tmp.resolve("data"), 3, 9, 64);
        Path model = MODELS.resolve("tiny-cogvideox-5b"), cache = tmp.resolve("cache");
        List<Stage> stages = Stage.parseList("32x32x5:6,64x64x9:6", "--stages");
        TrainingRun.Result whole = TrainingRun.run(options(model, data, tmp.resolve("a"), cache, stages, 0, 1e-3, 0, 5, null),
                ProgressListener.NONE, new CancellationToken(), m -> { });
        assertThat(whole.steps()).isEqualTo(12);

        CancellationToken cancel = new CancellationToken();
        TrainingRun.Result first = TrainingRun.run(options(model, data, tmp.resolve("b"), cache, stages, 0, 1e-3, 0, 5, null),
                cancelAt(7, cancel), cancel, m -> { });
        assertThat(first.interrupted()).isTrue();
        assertThat(first.checkpoint()).isEqualTo(tmp.resolve("b/checkpoint-7"));
        assertThat(tmp.resolve("b/pytorch_lora_weights.safetensors")).doesNotExist();
        TrainingRun.Result resumed = TrainingRun.run(options(model, data, tmp.resolve("b"), cache, stages, 0, 1e-3, 0, 5, tmp.resolve("b")),
                ProgressListener.NONE, new CancellationToken(), m -> { });
        assertThat(resumed.steps()).isEqualTo(12);

        assertThat(Files.readAllBytes(tmp.resolve("b/pytorch_lora_weights.safetensors")))
                .isEqualTo(Files.readAllBytes(tmp.resolve("a/pytorch_lora_weights.safetensors")));
        assertThat(Files.readAllBytes(tmp.resolve("b/checkpoint-12/optimizer.safetensors")))
                .isEqualTo(Files.readAllBytes(tmp.resolve("a/checkpoint-12/optimizer.safetensors")));
        assertThat(Files.readAllLines(tmp.resolve("b/loss.jsonl"))).isEqualTo(Files.readAllLines(tmp.resolve("a/loss.jsonl")));
    }

    /**
     * --caption-dropout: the same seed with and without it trains differently (some clips saw the empty caption; its
     * generator is separate, so noise and timesteps are the same); resuming with another value is refused by name.
     */
    @Test
    void captionDropoutChangesTheRunAndIsPartOfItsSettings() throws IOException {
        Path data = SyntheticVideos.write(tmp.resolve("data"), 3, 5, 32);
        Path model = MODELS.resolve("tiny-cogvideox-2b"), cache = tmp.resolve("cache");
        List<Stage> stages = Stage.parseList("32x32x5:4", "--stages");
        TrainingRun.run(dropout(model, data, tmp.resolve("none"), cache, stages, 0, null), ProgressListener.NONE, new CancellationToken(), m -> { });
        TrainingRun.run(dropout(model, data, tmp.resolve("half"), cache, stages, 0.5, null), ProgressListener.NONE, new CancellationToken(), m -> { });
        assertThat(Files.readAllLines(tmp.resolve("half/loss.jsonl"))).hasSize(4)
                .isNotEqualTo(Files.readAllLines(tmp.resolve("none/loss.jsonl")));
        assertThat(Files.readString(tmp.resolve("half/checkpoint-4/trainer_state.json"))).contains("\"captionDropout\" : 0.5");
        assertThatThrownBy(() -> TrainingRun.run(dropout(model, data, tmp.resolve("half"), cache, Stage.parseList("32x32x5:6", "--stages"), 0.1,
                tmp.resolve("half")), ProgressListener.NONE, new CancellationToken(), m -> { }))
                .hasMessageContaining("--caption-dropout 0.5");
        assertThatThrownBy(() -> dropout(model, data, tmp.resolve("x"), cache, stages, 1.0, null)).hasMessageContaining("--caption-dropout");
    }

    private static TrainOptions dropout(Path model, Path data, Path output, Path cache, List<Stage> stages, double p, Path resume) {
        return new TrainOptions(model, data, output, cache, 4, 4, stages, 0, 1e-3, LearningRateSchedule.Kind.CONSTANT, 0, 1.0, 0, 4, null, 0, 2,
                0, resume, 42, 0, TrainOptions.NonFinitePolicy.STOP, p);
    }

    /** --keep-checkpoints 2: after each checkpoint only the newest two remain; resuming from the folder takes the newest. */
    @Test
    void onlyTheNewestCheckpointsAreKept() throws IOException {
        Path data = SyntheticVideos.write(tmp.resolve("data"), 2, 5, 32);
        TrainOptions o = new TrainOptions(MODELS.resolve("tiny-cogvideox-2b"), data, tmp.resolve("out"), null, 4, 4,
                Stage.parseList("32x32x5:7", "--stages"), 0, 1e-3, LearningRateSchedule.Kind.CONSTANT, 0, 1.0, 0, 4, null, 0, 2, 2, null, 42, 2,
                TrainOptions.NonFinitePolicy.STOP, 0);
        List<String> messages = new ArrayList<>();
        TrainingRun.run(o, ProgressListener.NONE, new CancellationToken(), messages::add);
        try (var s = Files.list(tmp.resolve("out"))) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("checkpoint-")))
                    .containsExactlyInAnyOrder("checkpoint-6", "checkpoint-7");
        }
        assertThat(messages).contains("deleted old checkpoint checkpoint-2 (--keep-checkpoints 2)",
                "deleted old checkpoint checkpoint-4 (--keep-checkpoints 2)");
        assertThat(Checkpoint.resolve(tmp.resolve("out"))).isEqualTo(tmp.resolve("out/checkpoint-7"));
    }

    /** A finished run resumed with more steps in its last stage continues as if it had been one longer run. */
    @Test
    void aFinishedRunExtendedWithMoreStepsEndsAsOneLongerRun() throws IOException {
        Path data = SyntheticVideos.write(tmp.resolve("data"), 3, 9, 64);
        Path model = MODELS.resolve("tiny-cogvideox-5b"), cache = tmp.resolve("cache");
        List<Stage> longer = Stage.parseList("32x32x5:4,64x64x9:4", "--stages");
        TrainingRun.run(options(model, data, tmp.resolve("a"), cache, longer, 0, 1e-3, 0, 0, null),
                ProgressListener.NONE, new CancellationToken(), m -> { });

        List<Stage> shorter = Stage.parseList("32x32x5:4,64x64x9:2", "--stages");
        TrainingRun.Result finished = TrainingRun.run(options(model, data, tmp.resolve("b"), cache, shorter, 0, 1e-3, 0, 0, null),
                ProgressListener.NONE, new CancellationToken(), m -> { });
        assertThat(finished.interrupted()).isFalse();
        assertThat(finished.steps()).isEqualTo(6);
        TrainingRun.Result extended = TrainingRun.run(options(model, data, tmp.resolve("b"), cache, longer, 0, 1e-3, 0, 0, tmp.resolve("b")),
                ProgressListener.NONE, new CancellationToken(), m -> { });
        assertThat(extended.steps()).isEqualTo(8);
        assertThat(Files.readAllBytes(tmp.resolve("b/pytorch_lora_weights.safetensors")))
                .isEqualTo(Files.readAllBytes(tmp.resolve("a/pytorch_lora_weights.safetensors")));
        assertThat(Files.readAllLines(tmp.resolve("b/loss.jsonl"))).isEqualTo(Files.readAllLines(tmp.resolve("a/loss.jsonl")));

        // what may not change is named by its option, with the value to resume with
        assertThatThrownBy(() -> TrainingRun.run(options(model, data, tmp.resolve("b"), cache, longer, 0, 2e-3, 0, 0, tmp.resolve("b")),
                ProgressListener.NONE, new CancellationToken(), m -> { }))
                .hasMessageContaining("--lr 0.001, this one --lr 0.002; resume with --lr 0.001").hasMessageNotContaining("Settings[");
        assertThatThrownBy(() -> TrainingRun.run(options(model, data, tmp.resolve("b"), cache, Stage.parseList("32x32x5:4,32x32x9:8", "--stages"),
                0, 1e-3, 0, 0, tmp.resolve("b")), ProgressListener.NONE, new CancellationToken(), m -> { }))
                .hasMessageContaining("resume with the same --stages");
        assertThatThrownBy(() -> TrainingRun.run(options(model, data, tmp.resolve("b"), cache, shorter, 0, 1e-3, 0, 0, tmp.resolve("b")),
                ProgressListener.NONE, new CancellationToken(), m -> { }))
                .hasMessageContaining("at step 8, past this run's 6 steps");
    }

    /**
     * An unreadable video, a too-short one and a video without a caption are reported by name and skipped; the run
     * trains on the rest (full fine-tuning here) and writes a transformer folder.
     */
    @Test
    void badSamplesAreReportedAndSkipped() throws IOException {
        Path data = SyntheticVideos.write(tmp.resolve("data"), 2, 9, 32);
        Files.writeString(data.resolve("videos/broken.gif"), "not a gif");
        SyntheticVideos.writeGif(data.resolve("videos/short.gif"), SyntheticVideos.square(1, 3, 32));
        List<String> videos = new ArrayList<>(Files.readAllLines(data.resolve("videos.txt")));
        List<String> prompts = new ArrayList<>(Files.readAllLines(data.resolve("prompts.txt")));
        videos.addAll(List.of("videos/broken.gif", "videos/short.gif", "videos/clip0.gif"));
        prompts.addAll(List.of("broken", "short"));
        Files.write(data.resolve("videos.txt"), videos);
        Files.write(data.resolve("prompts.txt"), prompts);

        List<String> messages = new ArrayList<>();
        TrainingRun.Result r = TrainingRun.run(options(0, MODELS.resolve("tiny-cogvideox-2b"), data, tmp.resolve("out"), null,
                Stage.parseList("32x32x9:3", "--stages"), 0, 1e-3, 0, 0, null), ProgressListener.NONE, new CancellationToken(), messages::add);
        assertThat(r.steps()).isEqualTo(3);
        assertThat(r.problems()).hasSize(3);
        assertThat(r.problems().get(0)).contains("videos.txt line 6 (videos/clip0.gif)", "no caption");
        assertThat(r.problems().get(1)).contains("videos.txt line 4", "broken.gif", "cannot read");
        assertThat(r.problems().get(2)).contains("videos.txt line 5", "short.gif has 3 frames", "at least 5");
        assertThat(messages).containsAll(r.problems());
        assertThat(tmp.resolve("out/transformer/diffusion_pytorch_model.safetensors")).isRegularFile();
        assertThat(tmp.resolve("out/transformer/config.json")).isRegularFile();
    }

    /**
     * {@code --stages 32x32x5:4,32x32x9:6@moving}: the second stage draws only from the dataset's selections/moving.jsonl
     * (the three GIFs, not the still). Each step takes one clip (the budget is one full clip), so a step of fewer
     * tokens than a full 9-frame clip is the still: stage 1 draws it, stage 2 never does (and does without the
     * selection: the test can fail). The stage-2 cache entries are those of the selection's clips alone. Interrupted in
     * stage 2 and resumed, the run ends as one uninterrupted run; resuming with another selection, or naming one the
     * dataset lacks, is refused by name.
     */
    @Test
    void aStageWithASelectionDrawsOnlyFromIt() throws IOException {
        Path data = SyntheticVideos.write(tmp.resolve("data"), 3, 9, 32);
        Files.createDirectories(data.resolve("selections"));
        Files.write(data.resolve("selections/moving.jsonl"), List.of(
                "{\"video\": \"../videos/clip0.gif\", \"caption\": \"red square right\"}",
                "{\"video\": \"../videos/clip1.gif\", \"caption\": \"green square down\"}",
                "{\"video\": \"../videos/clip2.gif\", \"caption\": \"blue square right\"}"));
        Path model = MODELS.resolve("tiny-cogvideox-2b"), cache = tmp.resolve("cache");
        List<Stage> stages = Stage.parseList("32x32x5:4,32x32x9:6@moving", "--stages");
        TrainingRun.Result whole = TrainingRun.run(options(model, data, tmp.resolve("a"), cache, stages, 0, 1e-3, 0, 5, null),
                ProgressListener.NONE, new CancellationToken(), m -> { });
        assertThat(whole.steps()).isEqualTo(10);
        assertThat(whole.problems()).isEmpty();
        // a full 9-frame clip has 3 latent frames, the still 1, each a 4x4 latent grid (32 pixels / 8)
        int fullNine = Stage.tokens(transformerConfig(model), 3, 4, 4), still = Stage.tokens(transformerConfig(model), 1, 4, 4);
        List<String> log = Files.readAllLines(tmp.resolve("a/loss.jsonl"));
        assertThat(log.subList(0, 4)).filteredOn(l -> l.contains("\"stage\":0") && l.contains("\"tokens\":" + still + ",")).hasSize(1);
        assertThat(log.subList(4, 10)).allSatisfy(l -> assertThat(l).contains("\"stage\":1", "\"clips\":1,", "\"tokens\":" + fullNine + ","));

        List<String> stageTwoVideos = new ArrayList<>();
        try (var files = Files.list(cache)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("latents-")).toList()) {
                try (var st = dev.cogvideox.io.SafetensorsFile.open(f)) {
                    if (st.metadata().get("clip").equals("32x32x9")) {
                        stageTwoVideos.add(Path.of(st.metadata().get("video")).getFileName().toString());
                    }
                }
            }
        }
        assertThat(stageTwoVideos).containsExactlyInAnyOrder("clip0.gif", "clip1.gif", "clip2.gif");
        // without the selection, stage 2 draws the still
        List<Stage> unselected = Stage.parseList("32x32x5:4,32x32x9:6", "--stages");
        TrainingRun.run(options(model, data, tmp.resolve("all"), cache, unselected, 0, 1e-3, 0, 0, null),
                ProgressListener.NONE, new CancellationToken(), m -> { });
        assertThat(Files.readAllLines(tmp.resolve("all/loss.jsonl")).subList(4, 10)).anySatisfy(l -> assertThat(l).contains("\"tokens\":" + still + ","));

        CancellationToken cancel = new CancellationToken();
        TrainingRun.Result first = TrainingRun.run(options(model, data, tmp.resolve("b"), cache, stages, 0, 1e-3, 0, 5, null),
                cancelAt(7, cancel), cancel, m -> { });
        assertThat(first.interrupted()).isTrue();
        assertThat(first.steps()).isEqualTo(7);
        TrainingRun.run(options(model, data, tmp.resolve("b"), cache, stages, 0, 1e-3, 0, 5, tmp.resolve("b")),
                ProgressListener.NONE, new CancellationToken(), m -> { });
        assertThat(Files.readAllLines(tmp.resolve("b/loss.jsonl"))).isEqualTo(log);
        assertThat(Files.readAllBytes(tmp.resolve("b/pytorch_lora_weights.safetensors")))
                .isEqualTo(Files.readAllBytes(tmp.resolve("a/pytorch_lora_weights.safetensors")));

        assertThatThrownBy(() -> TrainingRun.run(options(model, data, tmp.resolve("a"), cache, unselected, 0, 1e-3, 0, 5, tmp.resolve("a")),
                ProgressListener.NONE, new CancellationToken(), m -> { }))
                .hasMessageContaining("stages [32x32x5:4, 32x32x9:6@moving]").hasMessageContaining("resume with the same --stages");
        assertThatThrownBy(() -> TrainingRun.run(options(model, data, tmp.resolve("c"), cache, Stage.parseList("32x32x5:2@best", "--stages"),
                0, 1e-3, 0, 0, null), ProgressListener.NONE, new CancellationToken(), m -> { }))
                .hasMessage("--stages 32x32x5:2@best: no selection 'best': " + data.toAbsolutePath().normalize().resolve("selections/best.jsonl")
                        + " does not exist (the dataset has moving); make it with `cogvideox data select --data "
                        + data.toAbsolutePath().normalize() + " --name best --min KEY=VALUE ...`");
    }

    private static dev.cogvideox.model.transformer.CogVideoXTransformerConfig transformerConfig(Path model) {
        return TrainingRun.transformerConfig(model);
    }

    /** Errors before any work: a resolution the model cannot take, a LoRA checkpoint whose keys do not fit the model. */
    @Test
    void badOptionsAreClearErrors() throws IOException {
        Path data = SyntheticVideos.write(tmp.resolve("data"), 1, 5, 32);
        Path model = MODELS.resolve("tiny-cogvideox-2b");
        assertThatThrownBy(() -> TrainingRun.run(options(model, data, tmp.resolve("out"), null, Stage.parseList("40x32x5:2", "--stages"),
                0, 1e-3, 0, 0, null), ProgressListener.NONE, new CancellationToken(), m -> { }))
                .hasMessageContaining("--stages 40x32x5:2").hasMessageContaining("multiples of 16");
        assertThatThrownBy(() -> Stage.parseList("32x32x8:2", "--stages")).hasMessageContaining("'32x32x8:2'").hasMessageContaining("4k+1");

        List<Stage> stages = Stage.parseList("32x32x5:2", "--stages");
        TrainingRun.run(options(model, data, tmp.resolve("out"), null, stages, 0, 1e-3, 0, 0, null),
                ProgressListener.NONE, new CancellationToken(), m -> { });
        Path lora = tmp.resolve("out/checkpoint-2/pytorch_lora_weights.safetensors");
        Map<String, Tensor> keys = new LinkedHashMap<>(LoraFile.read(lora).toKeys());
        keys.keySet().removeIf(k -> k.contains("transformer_blocks.1.attn1.to_v"));
        LoraFile.write(lora, LoraWeights.fromKeys(keys, 8.0, "test"));
        assertThatThrownBy(() -> TrainingRun.run(options(model, data, tmp.resolve("out"), null, stages, 0, 1e-3, 0, 0, tmp.resolve("out")),
                ProgressListener.NONE, new CancellationToken(), m -> { }))
                .hasMessageContaining(lora.toString()).hasMessageContaining("missing [transformer.transformer_blocks.1.attn1.to_v");
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
