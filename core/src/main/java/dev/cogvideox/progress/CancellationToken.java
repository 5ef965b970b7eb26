package dev.cogvideox.progress;

import java.util.concurrent.CancellationException;

/**
 * A flag one thread sets (a Ctrl-C handler, a service's cancel request) and a pipeline checks between steps.
 * Thread-safe. An interrupted checking thread counts as cancelled too, so {@link Thread#interrupt()} stops a
 * pipeline at the next check as well (the interrupt flag is left set). {@link #NONE} is the token of a run nobody
 * can stop: never null.
 */
public final class CancellationToken {
    /** A run that cannot be cancelled: its checks never throw, not even on an interrupted thread. */
    public static final CancellationToken NONE = new CancellationToken(false);

    private final boolean cancellable;
    private volatile boolean cancelled;

    public CancellationToken() {
        this(true);
    }

    private CancellationToken(boolean cancellable) {
        this.cancellable = cancellable;
    }

    /** Requests cancellation; the task stops at its next {@link #throwIfCancelled()}. */
    public void cancel() {
        if (!cancellable) {
            throw new IllegalStateException("CancellationToken.NONE cannot be cancelled: give the run a new CancellationToken()");
        }
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancellable && (cancelled || Thread.currentThread().isInterrupted());
    }

    /** @throws CancellationException if {@link #cancel()} was called or the current thread is interrupted */
    public void throwIfCancelled() {
        if (!cancellable) {
            return;
        }
        if (cancelled) {
            throw new CancellationException("cancelled");
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new CancellationException("cancelled: thread interrupted");
        }
    }
}
