package dev.cogvideox.train.run;

import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.progress.ProgressUnit;

import java.nio.file.Path;

/**
 * The step loop of both training runs ({@link TrainingRun}, {@link VaeTrainingRun}): from the state's step to the
 * total, each step reported to the progress; a checkpoint every {@code checkpointEvery} steps (not at the last, which
 * the end writes) and one at the end, also when a cancellation stops the loop before its next step; the loss log
 * open throughout, its lines after a resumed checkpoint dropped first. What a step is, and who writes, is the run's.
 */
final class StepLoop {
    /** What a run does in the loop. */
    interface Steps {
        /** Whether to stop before the next step (checked before each). */
        boolean cancelled();

        /** Takes the step after {@code state}'s, appends its loss to {@code log} (null where nothing is written) and returns the state after it. */
        TrainState step(TrainState state, LossLog log);

        /** Writes a checkpoint of {@code state} and returns its folder (null where nothing is written). */
        Path checkpoint(TrainState state, LossLog log);

        /** After a step and its checkpoint (if one was due): what else the run does between steps. */
        default void afterStep(TrainState state, boolean checkpointed) {
        }
    }

    /** Where the loop ended: the state, whether a cancellation stopped it, and the last checkpoint written. */
    record End(TrainState state, boolean interrupted, Path checkpoint) {
    }

    private StepLoop() {
    }

    /**
     * @param task    the progress task ("training"), counted in steps
     * @param logFile {@code loss.jsonl}, or null where this process writes no log (a data-parallel rank but the first)
     */
    static End run(String task, TrainState start, int total, int checkpointEvery, Path logFile, ProgressListener progress, Steps steps) {
        TrainState state = start;
        Path checkpoint = null;
        boolean interrupted = false;
        try (LossLog log = logFile != null ? new LossLog(logFile, state.step()) : null) {
            progress.onStart(task, total, ProgressUnit.ITEMS, state.step());
            try {
                while (state.step() < total) {
                    if (steps.cancelled()) {
                        interrupted = true;
                        break;
                    }
                    state = steps.step(state, log);
                    progress.onProgress(state.step());
                    boolean due = checkpointEvery > 0 && state.step() % checkpointEvery == 0 && state.step() < total;
                    if (due) {
                        checkpoint = steps.checkpoint(state, log);
                    }
                    steps.afterStep(state, due);
                }
            } finally {
                progress.onEnd();                                       // complete or abandoned
            }
            checkpoint = steps.checkpoint(state, log);
        }
        return new End(state, interrupted, checkpoint);
    }
}
