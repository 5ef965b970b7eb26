package dev.cogvideox.serve;

import java.util.Locale;

/**
 * One row of the job table.
 *
 * @param seq        submission order (the queue's order)
 * @param attempts   how many times a run started (a restart that interrupts a run makes it 2)
 * @param note       what happened besides the state, e.g. that a restart interrupted an earlier run
 * @param frames     frames of the finished video, 0 before
 */
record Job(String id, long seq, String model, State state, JobSettings settings, long createdAt, Long startedAt, Long finishedAt,
           String error, String note, int attempts, int frames) {

    enum State {
        QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, INTERRUPTED;

        String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        boolean finished() {
            return this != QUEUED && this != RUNNING;
        }
    }
}
