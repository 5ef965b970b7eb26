package dev.cogvideox.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Fine-grained dynamic scheduling on {@link Parallel}'s threads for kernels with many tasks of similar cost
 * between barriers (GEMM row blocks, attention query groups, convolution tile groups): every thread claims one task
 * at a time, so the threads finish within one task of each other. Parallel's chunks (at most 8 per thread) would
 * leave one thread idle for half a chunk on average at every barrier, about 3% of the work each time.
 */
final class TaskQueue {
    /** The per-thread body of a task loop, holding that thread's scratch memory. */
    @FunctionalInterface
    interface Worker {
        void run(int task);
    }

    private TaskQueue() {
    }

    /** Runs tasks {@code [0, n)}; {@code workers} makes one body per participating thread. */
    static void forEach(int n, Supplier<Worker> workers) {
        AtomicInteger next = new AtomicInteger();
        Parallel.forRange(Math.min(n, Parallel.threads()), 1, (w0, w1) -> {
            Worker body = workers.get();
            for (int t = next.getAndIncrement(); t < n; t = next.getAndIncrement()) {
                body.run(t);
            }
        });
    }
}
