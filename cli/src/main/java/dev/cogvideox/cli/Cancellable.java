package dev.cogvideox.cli;

import dev.cogvideox.progress.CancellationToken;

import java.util.concurrent.CancellationException;

/**
 * Runs a command's long job so that Ctrl-C cancels it cleanly: a shutdown hook cancels the token and waits (up to
 * 30 s) for the job to stop at its next check, so that writers delete their temporary output instead of leaving a
 * partial file.
 */
final class Cancellable {
    /** The job, checking the token between its units of work. */
    @FunctionalInterface
    interface Job {
        void run(CancellationToken cancel) throws Exception;
    }

    private Cancellable() {
    }

    /** The job's exit code: 0 when it finished, 130 (as for SIGINT) when it was cancelled. */
    static int run(Job job) throws Exception {
        CancellationToken cancel = new CancellationToken();
        Thread worker = Thread.currentThread();
        Thread hook = new Thread(() -> {
            cancel.cancel();
            try {
                worker.join(30_000);
            } catch (InterruptedException ignored) {
                // exiting anyway
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            job.run(cancel);
            return 0;
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
