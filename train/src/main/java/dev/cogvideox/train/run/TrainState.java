package dev.cogvideox.train.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cogvideox.io.AtomicFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
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

    /** The options that shape the trajectory: a run resumed with other values would not be the same run. */
    public record Settings(String stages, long seed, int loraRank, double loraAlpha, double lr, String lrSchedule, int warmup,
                           int batchTokens, int timestepIntervals) {
    }

    public static TrainState start(Settings settings) {
        return new TrainState(0, 0, 0, 0, 0, settings);
    }

    public void write(Path file) {
        AtomicFile.write(file, tmp -> JSON.writeValue(tmp.toFile(), this));
    }

    public static TrainState read(Path file) {
        try {
            return JSON.readValue(Files.readAllBytes(file), TrainState.class);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": not a trainer state: " + e.getMessage(), e);
        }
    }
}
