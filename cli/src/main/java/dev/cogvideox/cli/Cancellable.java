package dev.cogvideox.cli;

import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressBar;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a command's long job so that Ctrl-C cancels it cleanly and at once.
 * <p>
 * The first Ctrl-C (SIGINT) cancels the token: the job stops at its next check, writers delete their temporary output,
 * training saves a checkpoint, and the command returns 130 to {@code main}, which exits normally. The JVM's own
 * SIGINT handling is replaced for the job's duration because it would start the shutdown while the job still runs;
 * the job's thread then blocks in {@code System.exit}, and a shutdown hook waiting for it waited out its whole grace
 * period. A second Ctrl-C exits at once (shutdown hooks still delete partial outputs). Other ways the JVM is shut down
 * (SIGTERM) cancel the token from a shutdown hook that waits, up to a grace period, for the job to end.
 */
final class Cancellable {
    /** The job, checking the token between its units of work; returns the exit code. */
    @FunctionalInterface
    interface Job {
        int run(CancellationToken cancel) throws Exception;
    }

    /** Exit code after SIGINT, as a shell reports it (128 + 2). */
    static final int INTERRUPTED = 130;

    private Cancellable() {
    }

    /** The job's exit code, or 130 (as for SIGINT) when it was cancelled by an exception. */
    static int run(int graceSeconds, Job job) throws Exception {
        CancellationToken cancel = new CancellationToken();
        CountDownLatch finished = new CountDownLatch(1);
        AtomicInteger interrupts = new AtomicInteger();
        Thread hook = new Thread(() -> {
            cancel.cancel();
            if (interrupts.get() < 2) {
                try {
                    finished.await(graceSeconds, TimeUnit.SECONDS);   // the job ends, not the thread: it may be the one exiting
                } catch (InterruptedException ignored) {
                    // exiting anyway
                }
            }
        }, "cancel on shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        Interrupts sigint = Interrupts.install(() -> {
            if (interrupts.incrementAndGet() == 1) {
                cancel.cancel();
                ProgressBar.printLine(System.err, "stopping at the next step (Ctrl-C again to quit at once)");
            } else {
                System.exit(INTERRUPTED);   // called from the signal's own thread, never from the job's
            }
        });
        try {
            return job.run(cancel);
        } catch (CancellationException e) {
            System.err.println("cancelled: the output in progress was not written (no partial file left)");
            return INTERRUPTED;
        } finally {
            finished.countDown();
            sigint.restore();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // already shutting down
            }
        }
    }

    /**
     * This process's SIGINT handler while a job runs ({@code sun.misc.Signal}, the supported JDK API for it); where it
     * cannot be installed (a JVM run with {@code -Xrs}, a signal ignored by the parent) the JVM's default stays.
     */
    private record Interrupts(Object signal, Object previous) {
        static Interrupts install(Runnable onInterrupt) {
            try {
                sun.misc.Signal sig = new sun.misc.Signal("INT");
                sun.misc.SignalHandler previous = sun.misc.Signal.handle(sig, s -> onInterrupt.run());
                return new Interrupts(sig, previous);
            } catch (IllegalArgumentException | LinkageError unavailable) {
                return new Interrupts(null, null);
            }
        }

        void restore() {
            if (signal != null) {
                try {
                    sun.misc.Signal.handle((sun.misc.Signal) signal, (sun.misc.SignalHandler) previous);
                } catch (IllegalArgumentException ignored) {
                    // leave ours: the job is over, a Ctrl-C now only ends the process sooner
                }
            }
        }
    }
}
