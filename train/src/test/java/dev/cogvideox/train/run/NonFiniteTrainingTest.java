package dev.cogvideox.train.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cogvideox.io.ModelFormatException;
import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.SafetensorsWriter;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Finite;
import dev.cogvideox.tensor.NonFiniteException;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.optim.LearningRateSchedule;
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

/** A NaN loss stops (or is skipped and counted), the last good checkpoint stays, and a damaged checkpoint is refused on resume. */
class NonFiniteTrainingTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static TrainOptions options(Path model, Path data, Path output, int steps, int checkpointEvery, Path resume,
                                        TrainOptions.NonFinitePolicy policy) {
        return new TrainOptions(model, data, output, null, 4, 4, null, steps, 1e-3, LearningRateSchedule.Kind.CONSTANT, 0, 1.0,
                0, 4, null, 0, 2, checkpointEvery, resume, 42, 0, policy, 0);
    }

    /** The 2b fixture with a NaN in the transformer's output projection: every loss is NaN. */
    private Path nanModel() throws IOException {
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
                if (n.equals("proj_out.weight")) {
                    t.data()[0] = Float.NaN;
                }
                w.add(n, DType.F32, t);
            }
        }
        w.write(out.resolve("transformer/diffusion_pytorch_model.safetensors"));
        return out;
    }

    @Test
    void aNaNLossStopsTheRunWithoutACheckpointOrWeights() throws IOException {
        Path data = SyntheticVideos.write(tmp.resolve("data"), 2, 9, 32);
        Path out = tmp.resolve("out");
        assertThatThrownBy(() -> TrainingRun.run(options(nanModel(), data, out, 3, 1, null, TrainOptions.NonFinitePolicy.STOP),
                ProgressListener.NONE, new CancellationToken(), m -> { }))
                .isInstanceOf(NonFiniteException.class).hasMessageStartingWith("step 1 of 3: the loss is NaN")
                .hasMessageContaining("no checkpoint was written").hasMessageContaining("--on-non-finite skip");
        try (Stream<Path> files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("checkpoint-") || n.endsWith(".safetensors"));
        }
    }

    @Test
    void skippingCountsTheStepsAndLeavesTheWeightsFinite() throws IOException {
        Path data = SyntheticVideos.write(tmp.resolve("data"), 2, 9, 32);
        Path out = tmp.resolve("out");
        List<String> messages = new ArrayList<>();
        TrainingRun.Result r = TrainingRun.run(options(nanModel(), data, out, 3, 0, null, TrainOptions.NonFinitePolicy.SKIP),
                ProgressListener.NONE, new CancellationToken(), messages::add);
        assertThat(r.steps()).isEqualTo(3);
        assertThat(r.skippedSteps()).isEqualTo(3);
        assertThat(messages).contains("step 2 of 3: the loss is NaN: update skipped (2 so far)");
        assertThat(Files.readAllLines(out.resolve("loss.jsonl"))).isEmpty();
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("pytorch_lora_weights.safetensors"))) {
            for (String n : f.names()) {
                assertThat(Finite.countNonFinite(f.entry(n).toTensor())).as(n).isZero();
            }
        }
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("checkpoint-3/optimizer.safetensors"))) {
            assertThat(f.names()).as("no moments: no update was ever applied").isEmpty();
        }
    }

    /** A two-step run with a checkpoint after each step, for the resume tests (which resume its last, with the same options). */
    private Path checkpointed(Path data) {
        Path out = tmp.resolve("run");
        TrainingRun.run(options(MODEL, data, out, 2, 1, null, TrainOptions.NonFinitePolicy.STOP), ProgressListener.NONE,
                new CancellationToken(), m -> { });
        return out;
    }

    @Test
    void aResumedStateIsCheckedStepCursorAndSettings() throws IOException {
        Path data = SyntheticVideos.write(tmp.resolve("data"), 2, 9, 32);
        Path out = checkpointed(data);
        Path state = out.resolve("checkpoint-2/trainer_state.json");
        String original = Files.readString(state);
        for (String[] c : new String[][]{{"step", "-1", "allowed 0 to 2"}, {"cursor", "99", "allowed 0 to 3"},
                {"stage", "3", "allowed 0 to 0"}, {"epoch", "-2", "allowed 0 to"}}) {
            ObjectNode s = (ObjectNode) JSON.readTree(original);
            s.put(c[0], Integer.parseInt(c[1]));
            Files.writeString(state, JSON.writeValueAsString(s));
            assertThatThrownBy(() -> TrainingRun.run(options(MODEL, data, out, 2, 1, out, TrainOptions.NonFinitePolicy.STOP),
                    ProgressListener.NONE, new CancellationToken(), m -> { }))
                    .as(c[0]).isInstanceOf(ModelFormatException.class)
                    .hasMessageStartingWith(state + ": key '" + c[0] + "' is " + c[1] + ", " + c[2]);
        }
        ObjectNode s = (ObjectNode) JSON.readTree(original);
        ((ObjectNode) s.get("settings")).remove("lr");
        Files.writeString(state, JSON.writeValueAsString(s));
        assertThatThrownBy(() -> TrainingRun.run(options(MODEL, data, out, 2, 1, out, TrainOptions.NonFinitePolicy.STOP),
                ProgressListener.NONE, new CancellationToken(), m -> { }))
                .isInstanceOf(ModelFormatException.class).hasMessage(state + " (settings): required key 'lr' is missing");
        Files.writeString(state, original.substring(0, original.length() / 2));
        assertThatThrownBy(() -> TrainingRun.run(options(MODEL, data, out, 2, 1, out, TrainOptions.NonFinitePolicy.STOP),
                ProgressListener.NONE, new CancellationToken(), m -> { }))
                .isInstanceOf(ModelFormatException.class).hasMessageStartingWith(state + ": invalid JSON at line")
                .hasMessageNotContaining("Source").hasMessageNotContaining("reference chain");
    }

    @Test
    void nanOptimizerMomentsAreRefusedNamingTheirFile() throws IOException {
        Path data = SyntheticVideos.write(tmp.resolve("data"), 2, 9, 32);
        Path out = checkpointed(data);
        Path optimizer = out.resolve("checkpoint-2/optimizer.safetensors");
        SafetensorsWriter w = new SafetensorsWriter(Map.of("format", "pt"));
        try (SafetensorsFile f = SafetensorsFile.open(optimizer)) {
            boolean first = true;
            for (String n : f.names()) {
                Tensor t = f.entry(n).toTensor();
                if (first && n.endsWith(".exp_avg")) {
                    t.data()[0] = Float.NaN;
                    first = false;
                }
                w.add(n, DType.F32, t);
            }
        }
        w.write(optimizer);
        assertThatThrownBy(() -> TrainingRun.run(options(MODEL, data, out, 2, 1, out, TrainOptions.NonFinitePolicy.STOP),
                ProgressListener.NONE, new CancellationToken(), m -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(optimizer + ": the optimizer moments of ")
                .hasMessageContaining("1 NaN, infinite or negative values");
    }

    @Test
    void aNaNLoraInTheCheckpointIsRefusedNamingItsFile() throws IOException {
        Path data = SyntheticVideos.write(tmp.resolve("data"), 2, 9, 32);
        Path out = checkpointed(data);
        Path lora = out.resolve("checkpoint-2/pytorch_lora_weights.safetensors");
        SafetensorsWriter w = new SafetensorsWriter(Map.of("format", "pt"));
        String damaged;
        try (SafetensorsFile f = SafetensorsFile.open(lora)) {
            damaged = f.names().iterator().next();
            for (String n : f.names()) {
                Tensor t = f.entry(n).toTensor();
                if (n.equals(damaged)) {
                    t.data()[1] = Float.NEGATIVE_INFINITY;
                }
                w.add(n, DType.F32, t);
            }
        }
        w.write(lora);
        assertThatThrownBy(() -> TrainingRun.run(options(MODEL, data, out, 2, 1, out, TrainOptions.NonFinitePolicy.STOP),
                ProgressListener.NONE, new CancellationToken(), m -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(lora + ": LoRA weights unusable with this 2b transformer: ")
                .hasMessageContaining("1 NaN or infinite values");
    }
}
