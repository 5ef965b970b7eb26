package dev.cogvideox.tensor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(120)                                        // a lost wake-up or a deadlock fails instead of hanging the build
class ParallelTest {
    private final int before = Parallel.threads();

    @AfterEach
    void restore() {
        Parallel.setThreads(before);
    }

    /** Every index of every loop is run exactly once, whatever the size, grain and thread count. */
    @Test
    void everyIndexOnce() {
        SplittableRandom random = new SplittableRandom(7);
        for (int threads : new int[] {1, 2, 3, 5}) {
            Parallel.setThreads(threads);
            for (int trial = 0; trial < 300; trial++) {
                int n = random.nextInt(0, 2000), grain = random.nextInt(1, 300);
                AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                Parallel.forRange(n, grain, (from, to) -> {
                    assertThat(from).isLessThan(to);
                    for (int i = from; i < to; i++) {
                        hits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertThat(hits.get(i)).as("index %d of %d, grain %d, %d threads", i, n, grain, threads).isEqualTo(1);
                }
            }
        }
    }

    /** The loop's ranges run on more than one thread when there are several. */
    @Test
    void helpersTakePart() {
        Parallel.setThreads(2);
        Set<Thread> seen = ConcurrentHashMap.newKeySet();
        for (int trial = 0; trial < 200 && seen.size() < 2; trial++) {
            Parallel.forRange(64, 1, (from, to) -> {
                seen.add(Thread.currentThread());
                long until = System.nanoTime() + 20_000;
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            });
        }
        assertThat(seen).hasSize(2);
    }

    /** A failing range fails the loop with its own exception; the threads then run the next loop normally. */
    @Test
    void failurePropagatesAndTheNextLoopRuns() {
        Parallel.setThreads(3);
        for (int trial = 0; trial < 50; trial++) {
            int bad = trial * 7 % 100;
            IllegalArgumentException thrown = new IllegalArgumentException("range at " + bad);
            assertThatThrownBy(() -> Parallel.forRange(100, 1, (from, to) -> {
                if (from <= bad && bad < to) {
                    throw thrown;
                }
            })).isSameAs(thrown);
            AtomicIntegerArray hits = new AtomicIntegerArray(100);
            Parallel.forRange(100, 1, (from, to) -> {
                for (int i = from; i < to; i++) {
                    hits.incrementAndGet(i);
                }
            });
            for (int i = 0; i < 100; i++) {
                assertThat(hits.get(i)).isEqualTo(1);
            }
        }
        assertThatThrownBy(() -> Parallel.forRange(10, 1, (from, to) -> {
            throw new StackOverflowError("deep");
        })).isInstanceOf(StackOverflowError.class).hasMessage("deep");
    }

    /** A loop inside a loop's body, and loops from several caller threads at once, complete (inline when the helpers are taken). */
    @Test
    void nestedAndConcurrentLoops() throws InterruptedException {
        Parallel.setThreads(2);
        int outer = 40, inner = 300;
        AtomicIntegerArray hits = new AtomicIntegerArray(outer * inner);
        Parallel.forRange(outer, 1, (from, to) -> {
            for (int o = from; o < to; o++) {
                int base = o * inner;
                Parallel.forRange(inner, 16, (a, b) -> {
                    for (int i = a; i < b; i++) {
                        hits.incrementAndGet(base + i);
                    }
                });
            }
        });
        for (int i = 0; i < outer * inner; i++) {
            assertThat(hits.get(i)).isEqualTo(1);
        }

        int callers = 4, loops = 500, n = 257;
        long[] sums = new long[callers];
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            int id = c;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int l = 0; l < loops; l++) {
                    long[] part = new long[n];
                    Parallel.forRange(n, 8, (from, to) -> {
                        for (int i = from; i < to; i++) {
                            part[i] = i + 1L;
                        }
                    });
                    for (long v : part) {
                        sums[id] += v;
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join(60_000);
            assertThat(t.isAlive()).isFalse();
        }
        for (long s : sums) {
            assertThat(s).isEqualTo((long) loops * n * (n + 1) / 2);
        }
    }

    /** Changing the thread count between loops (the CLI's --threads; tests that pin a count) keeps every loop whole. */
    @Test
    void threadCountChanges() {
        SplittableRandom random = new SplittableRandom(11);
        for (int trial = 0; trial < 40; trial++) {
            Parallel.setThreads(random.nextInt(1, 5));
            int n = random.nextInt(1, 500);
            AtomicIntegerArray hits = new AtomicIntegerArray(n);
            Parallel.forRange(n, 3, (from, to) -> {
                for (int i = from; i < to; i++) {
                    hits.incrementAndGet(i);
                }
            });
            for (int i = 0; i < n; i++) {
                assertThat(hits.get(i)).isEqualTo(1);
            }
        }
    }
}
