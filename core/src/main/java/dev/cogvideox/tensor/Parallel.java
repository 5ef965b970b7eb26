package dev.cogvideox.tensor;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The one set of threads every kernel shares. Work is split into index ranges whose results do not depend on
 * which thread computes them (no reduction crosses a range boundary), so outputs are identical for any
 * thread count. The calling thread takes part, so {@code threads = 1} runs everything inline.
 *
 * <p>The helper threads spin for a short while after a loop before they sleep, so the next loop of a run (a training
 * step makes hundreds, many of them small) starts on them within a microsecond instead of a thread wake-up; a loop
 * started while another is running (a second caller thread, or a loop inside a loop's body) runs inline.
 */
public final class Parallel {
    /** The body of a parallel loop over {@code [from, to)}. */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    /** How long an idle helper spins before it sleeps: longer than the serial work between two kernels of a step. */
    static final long SPIN_NANOS = 200_000;

    private static volatile int threads = Runtime.getRuntime().availableProcessors();
    private static volatile Team team;

    private Parallel() {
    }

    /** Sets the number of threads kernels use (the CLI's {@code --threads}); 0 or less means all cores. */
    public static synchronized void setThreads(int n) {
        int want = n <= 0 ? Runtime.getRuntime().availableProcessors() : n;
        if (want != threads) {
            threads = want;
            if (team != null) {
                team.retire();
                team = null;
            }
        }
    }

    public static int threads() {
        return threads;
    }

    private static synchronized Team team(int t) {
        if (team == null || team.helpers.length != t - 1) {
            if (team != null) {
                team.retire();
            }
            team = new Team(t - 1);
        }
        return team;
    }

    /**
     * Runs {@code body} over {@code [0, n)} in chunks of about {@code grain} indices (at least one chunk per
     * thread when there is enough work), claimed dynamically by the helper threads and the caller.
     */
    public static void forRange(int n, int grain, Range body) {
        if (n <= 0) {
            return;
        }
        int t = threads;
        int g = Math.max(1, grain);
        if (t == 1 || n <= g) {
            body.run(0, n);
            return;
        }
        int chunks = Math.min((n + g - 1) / g, t * 8);
        int chunk = (n + chunks - 1) / chunks;
        Team tm = team;
        if (tm == null || tm.helpers.length != t - 1) {
            tm = team(t);
        }
        if (!tm.run(n, chunk, body)) {
            body.run(0, n);                              // the helpers are busy with another loop: the same result inline
        }
    }

    /** The helper threads and the one loop they run at a time, published by bumping {@link #generation}. */
    private static final class Team {
        final Thread[] helpers;
        final AtomicBoolean busy = new AtomicBoolean();
        final AtomicInteger next = new AtomicInteger(), active = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final AtomicBoolean[] sleeping;
        volatile long generation;
        volatile boolean retired;
        volatile Thread waiter;                          // the caller, when it sleeps until the helpers finish
        // the current loop; written before generation is bumped, read after it is seen
        Range body;
        int n, chunk, count;

        Team(int size) {
            helpers = new Thread[size];
            sleeping = new AtomicBoolean[size];
            for (int i = 0; i < size; i++) {
                sleeping[i] = new AtomicBoolean();
                int id = i;
                helpers[i] = new Thread(() -> helperLoop(id), "cogvideox-kernel-" + (i + 1));
                helpers[i].setDaemon(true);
                helpers[i].start();
            }
        }

        /** Runs one loop on the caller and the helpers; false when another loop holds them (the caller runs it inline). */
        boolean run(int n, int chunk, Range body) {
            if (!busy.compareAndSet(false, true)) {
                return false;
            }
            try {
                this.body = body;
                this.n = n;
                this.chunk = chunk;
                this.count = (n + chunk - 1) / chunk;
                next.set(0);
                failure.set(null);
                active.set(helpers.length);
                generation++;                            // publishes the loop (a volatile write after the fields)
                for (int i = 0; i < helpers.length; i++) {
                    if (sleeping[i].get()) {
                        LockSupport.unpark(helpers[i]);
                    }
                }
                try {
                    work();
                } catch (RuntimeException | Error e) {
                    failure.compareAndSet(null, e);
                }
                awaitHelpers();
                this.body = null;
                Throwable f = failure.get();
                if (f instanceof RuntimeException re) {
                    throw re;
                }
                if (f instanceof Error er) {
                    throw er;
                }
                if (f != null) {
                    throw new IllegalStateException(f);
                }
                return true;
            } finally {
                busy.set(false);
            }
        }

        private void work() {
            int c;
            while (failure.get() == null && (c = next.getAndIncrement()) < count) {
                int from = c * chunk;
                body.run(from, Math.min(n, from + chunk));
            }
        }

        private void awaitHelpers() {
            long deadline = System.nanoTime() + SPIN_NANOS;
            boolean spin = true;
            for (int spins = 1; active.get() != 0; spins++) {
                if (spin) {
                    Thread.onSpinWait();
                    spin = (spins & 63) != 0 || System.nanoTime() < deadline;
                    continue;
                }
                waiter = Thread.currentThread();         // then sleep; the last helper to finish wakes us
                if (active.get() != 0) {
                    LockSupport.parkNanos(this, 1_000_000);
                }
                waiter = null;
            }
        }

        private void helperLoop(int id) {
            long seen = 0;
            while (true) {
                long g = awaitLoop(id, seen);
                seen = g;
                if (retired) {
                    return;
                }
                try {
                    work();
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);      // no thread claims a new chunk: the loop fails when the running ones end
                } finally {
                    if (active.decrementAndGet() == 0) {
                        Thread w = waiter;
                        if (w != null) {
                            LockSupport.unpark(w);
                        }
                    }
                }
            }
        }

        /** Spins, then sleeps, until a loop newer than {@code seen} is published; returns its generation. */
        private long awaitLoop(int id, long seen) {
            long deadline = System.nanoTime() + SPIN_NANOS;
            boolean spin = true;
            for (int spins = 1; ; spins++) {
                long g = generation;
                if (g != seen) {
                    return g;
                }
                if (spin) {
                    Thread.onSpinWait();
                    spin = (spins & 63) != 0 || System.nanoTime() < deadline;
                    continue;
                }
                sleeping[id].set(true);                  // then the publisher's check of sleeping sees us, or we see its loop
                if (generation == seen) {
                    LockSupport.park(this);
                }
                sleeping[id].set(false);
            }
        }

        /** Ends the helper threads once no loop is running (after a thread-count change). */
        void retire() {
            while (!busy.compareAndSet(false, true)) {
                Thread.onSpinWait();
            }
            retired = true;
            generation++;
            for (Thread h : helpers) {
                LockSupport.unpark(h);
            }
        }
    }
}
