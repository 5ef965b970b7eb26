package dev.cogvideox.cli;

import dev.cogvideox.progress.CancellationToken;

import java.util.concurrent.CancellationException;

/**
 * Runs a command's long job so that Ctrl-C cancels it cleanly: a shutdown hook cancels the token and waits (up to a
 * grace period) for the job to stop at its next check, so that writers delete their temporary output instead of
 * leaving a partial file, and training saves a checkpoint.
 */
final class Cancellable {
    /** The job, checking the token between its units of work; returns the exit code. */
    @FunctionalInterface
    interface Job {
        int run(CancellationToken cancel) throws Exception;
    }

    private Cancellable() {
    }

    /** The job's exit code, or 130 (as for SIGINT) when it was cancelled by an exception. */
    static int run(int graceSeconds, Job job) throws Exception {
        CancellationToken cancel = new CancellationToken();
        Thread worker = Thread.currentThread();
        Thread hook = new Thread(() -> {
            cancel.cancel();
            try {
                worker.join(graceSeconds * 1000L);
            } catch (InterruptedException ignored) {
                // exiting anyway
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return job.run(cancel);
        } catch (CancellationException e) {
            System.err.println("cancelled: no output written");
            return 130;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // already shutting down
            }
        }
    }
}
