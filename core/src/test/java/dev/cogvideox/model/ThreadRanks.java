package dev.cogvideox.model;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Ranks of one JVM for tests: {@code size} threads, each with a {@link ProcessGroup} whose exchanges go through shared
 * memory (what MPI does between processes), so the parallel code paths run without mpirun.
 */
public final class ThreadRanks {
    private final int size;
    private final CyclicBarrier barrier;
    private final float[][] sent;
    private final int[][] counts;

    private ThreadRanks(int size) {
        this.size = size;
        this.barrier = new CyclicBarrier(size);
        this.sent = new float[size][];
        this.counts = new int[size][];
    }

    /**
     * Runs {@code body} on {@code guidance x sequence} threads, rank {@code g * sequence + s} given guidance rank g and
     * sequence rank s (the layout of the distributed module); the results in rank order.
     */
    public static <T> List<T> run(int guidance, int sequence, Function<Ranks, T> body) throws Exception {
        int size = guidance * sequence;
        ThreadRanks world = new ThreadRanks(size);
        ThreadRanks[] guidanceGroups = new ThreadRanks[sequence], sequenceGroups = new ThreadRanks[guidance];
        for (int s = 0; s < sequence; s++) {
            guidanceGroups[s] = new ThreadRanks(guidance);
        }
        for (int g = 0; g < guidance; g++) {
            sequenceGroups[g] = new ThreadRanks(sequence);
        }
        ExecutorService pool = Executors.newFixedThreadPool(size);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int r = 0; r < size; r++) {
                int g = r / sequence, s = r % sequence;
                Ranks ranks = new Ranks(world.group(r), guidanceGroups[s].group(g), sequenceGroups[g].group(s));
                futures.add(pool.submit(() -> body.apply(ranks)));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get(120, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private ProcessGroup group(int rank) {
        return new ProcessGroup() {
            @Override
            public int rank() {
                return rank;
            }

            @Override
            public int size() {
                return size;
            }

            @Override
            public void allGather(float[] mine, float[] all, int[] c) {
                sent[rank] = mine;
                await();
                for (int r = 0, at = 0; r < size; at += c[r], r++) {
                    System.arraycopy(sent[r], 0, all, at, c[r]);
                }
                await();
            }

            @Override
            public void allToAll(float[] send, int[] sendCounts, float[] recv, int[] recvCounts) {
                sent[rank] = send;
                counts[rank] = sendCounts;
                await();
                for (int r = 0, at = 0; r < size; at += recvCounts[r], r++) {
                    int from = 0;
                    for (int j = 0; j < rank; j++) {
                        from += counts[r][j];
                    }
                    if (counts[r][rank] != recvCounts[r]) {
                        throw new IllegalStateException("rank " + r + " sends " + counts[r][rank] + " floats to rank " + rank
                                + ", which expects " + recvCounts[r]);
                    }
                    System.arraycopy(sent[r], from, recv, at, recvCounts[r]);
                }
                await();
            }
        };
    }

    private void await() {
        try {
            barrier.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
            throw new IllegalStateException("a test rank did not arrive", e);
        }
    }
}
