package dev.cogvideox.progress;

import java.util.concurrent.CancellationException;

/**
 * A flag one thread sets (a Ctrl-C handler, a service's cancel request) and a pipeline checks between steps.
 * Thread-safe. An interrupted checking thread counts as cancelled too, so {@link Thread#interrupt()} stops a
 * pipeline at the next check as well (the interrupt flag is left set).
 */
public final class CancellationToken {
    private volatile boolean cancelled;

    /** Requests cancellation; the task stops at its next {@link #throwIfCancelled()}. */
    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled || Thread.currentThread().isInterrupted();
    }

    /** @throws CancellationException if {@link #cancel()} was called or the current thread is interrupted */
    public void throwIfCancelled() {
        if (cancelled) {
            throw new CancellationException("cancelled");
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new CancellationException("cancelled: thread interrupted");
        }
    }
}
