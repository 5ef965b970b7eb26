package dev.cogvideox.train.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cogvideox.io.AtomicFile;
import dev.cogvideox.io.ConfigRange;
import dev.cogvideox.io.JsonConfig;
import dev.cogvideox.io.ModelFormatException;

import java.nio.file.Path;

/**
 * Where a run is, enough to continue it exactly: every random draw of step {@code step} is derived from the seed and
 * the step number ({@link StepRandom}), the data order of an epoch from the seed, the stage and the epoch, so the
 * position in the data and the count of timesteps drawn are all the state there is besides weights and optimizer.
 *
 * @param step           optimizer steps done
 * @param stage          index of the current stage
 * @param epoch          epoch within the stage
 * @param cursor         position in the epoch's order
 * @param timestepsDrawn Explicit Uniform Sampling draws so far (the next uses interval {@code drawn mod R})
 * @param settings       what the run was started with; a resume must match
 */
public record TrainState(int step, int stage, int epoch, int cursor, long timestepsDrawn, Settings settings) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * The options that shape the trajectory: a run resumed with other values would not be the same run. A state
     * written before {@code captionDropout} existed reads as 0, before {@code packsPerStep} (the Frame Pack batches of
     * a step's global batch, one per data-parallel rank by default) as 1: what those runs did.
     */
    public record Settings(String stages, long seed, int loraRank, double loraAlpha, double lr, String lrSchedule, int warmup,
                           int batchTokens, int timestepIntervals, double captionDropout, int packsPerStep) {
    }

    public static TrainState start(Settings settings) {
        return new TrainState(0, 0, 0, 0, 0, settings);
    }

    public void write(Path file) {
        AtomicFile.write(file, tmp -> JSON.writeValue(tmp.toFile(), this));
    }

    /** Reads a state; a malformed file is an error naming it and the key, without the parser's internals. */
    public static TrainState read(Path file) {
        JsonConfig c = JsonConfig.read(file);
        JsonConfig s = c.requireObject("settings");
        Settings settings = new Settings(s.requireString("stages"), s.requireLong("seed"), s.requireInt("loraRank"), s.requireDouble("loraAlpha"),
                s.requireDouble("lr"), s.requireString("lrSchedule"), s.requireInt("warmup"), s.requireInt("batchTokens"),
                s.requireInt("timestepIntervals"), s.getDouble("captionDropout", 0), s.getInt("packsPerStep", 1));
        return new TrainState(c.requireInt("step"), c.requireInt("stage"), c.requireInt("epoch"), c.requireInt("cursor"),
                c.requireLong("timestepsDrawn"), settings);
    }

    /**
     * Checks a resumed state against the run: the step within {@code [0, totalSteps]}, the stage one of the run's,
     * the epoch and the draws not negative, the cursor within the stage's {@code samples}; the settings (which fix
     * the learning-rate schedule) are compared by the caller.
     *
     * @throws ModelFormatException naming the file, the key and the allowed range
     */
    public void check(Path file, int totalSteps, int[] samplesPerStage) {
        try {
            ConfigRange.intIn("step", step, 0, totalSteps, "optimizer steps done; the learning rate of the next step follows from it");
            ConfigRange.intIn("stage", stage, 0, samplesPerStage.length - 1, "index of the current stage");
            ConfigRange.intIn("epoch", epoch, 0, Integer.MAX_VALUE, "epoch within the stage");
            ConfigRange.intIn("cursor", cursor, 0, samplesPerStage[stage], "position in the epoch's order of the stage's samples");
            if (timestepsDrawn < 0) {
                throw new IllegalArgumentException("key 'timestepsDrawn' is " + timestepsDrawn + ", must not be negative");
            }
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": " + e.getMessage() + "; the checkpoint is damaged, resume from another one", e);
        }
    }
}
