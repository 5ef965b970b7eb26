package dev.cogvideox.tensor;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one thread pool every kernel shares. Work is split into index ranges whose results do not depend on
 * which thread computes them (no reduction crosses a range boundary), so outputs are identical for any
 * thread count. The calling thread takes part, so {@code threads = 1} runs everything inline.
 */
public final class Parallel {
    /** The body of a parallel loop over {@code [from, to)}. */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    private static volatile int threads = Runtime.getRuntime().availableProcessors();
    private static ExecutorService pool;

    private Parallel() {
    }

    /** Sets the number of threads kernels use (the CLI's {@code --threads}); 0 or less means all cores. */
    public static synchronized void setThreads(int n) {
        int want = n <= 0 ? Runtime.getRuntime().availableProcessors() : n;
        if (want != threads) {
            threads = want;
            if (pool != null) {
                pool.shutdown();
                pool = null;
            }
        }
    }

    public static int threads() {
        return threads;
    }

    private static synchronized ExecutorService pool() {
        if (pool == null) {
            pool = Executors.newFixedThreadPool(Math.max(1, threads - 1), r -> {
                Thread t = new Thread(r, "cogvideox-kernel");
                t.setDaemon(true);
                return t;
            });
        }
        return pool;
    }

    /**
     * Runs {@code body} over {@code [0, n)} in chunks of about {@code grain} indices (at least one chunk per
     * thread when there is enough work), claimed dynamically by the pool threads and the caller.
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
        int count = (n + chunk - 1) / chunk;
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            int c;
            while ((c = next.getAndIncrement()) < count) {
                int from = c * chunk;
                body.run(from, Math.min(n, from + chunk));
            }
        };
        int helpers = Math.min(t - 1, count - 1);
        Future<?>[] futures = new Future<?>[helpers];
        ExecutorService p = pool();
        for (int i = 0; i < helpers; i++) {
            futures[i] = p.submit(worker);
        }
        Throwable failure = null;
        try {
            worker.run();
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) {
                    failure = e;
                }
            }
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure instanceof Error er) {
            throw er;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }
}
