package dev.cogvideox.tensor;

import dev.cogvideox.bench.FmaPeak;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;

/**
 * The bare {@link TileKernel} (6 x 64 register tile) as a fraction of the machine's fp32 FMA peak, with its operands
 * where the three kernels built on it keep them, so that the tile's own speed can be told apart from the blocking
 * around it. In core's package because the tile is package-private (the benchmark module puts it on the same
 * class path).
 * <ul>
 *   <li>{@code L1}: A (6 x 64) and B (64 x 64, 16 KB) in L1, the tile's ceiling;
 *   <li>{@code gemm order}: MatMul's loop, one A sliver (6 x 512, 12 KB) in L1 against 4 column tiles of B
 *       (512 x 64 each, 512 KB in all) read from L2;
 *   <li>{@code A streamed}: the other order (BLIS's), one B tile (128 x 64, 32 KB) in L1 against 20 A slivers
 *       (6 x 128 each, 60 KB in all) read from L2 - the order of attention's QK^T and of the convolution.
 * </ul>
 * Every thread runs the case on its own operands; the rate is the threads' FLOPs over the wall time, against
 * {@link FmaPeak} with the same thread count measured right before the case (wall) and per CPU-second (cpu).
 *
 * <p>Usage, from the repository root: {@code TileKernelBenchmark FMA_PEAK_C [threads=1,2] [seconds per sample=0.5]}.
 */
public final class TileKernelBenchmark {
    private static final int SAMPLES = 5;

    /** A placement of the operands: k steps per tile call, A slivers, B column tiles, calls per pass. */
    private record Case(String name, int kc, int slivers, int bTiles) {
        double flopsPerPass() {
            return 2.0 * TileKernel.ROWS * TileKernel.COLS * kc * Math.max(slivers, bTiles);
        }
    }

    private static final List<Case> CASES = List.of(
            new Case("L1 (A 6x64, B 64x64)", 64, 1, 1),
            new Case("gemm order (A 6x512 in L1, 4 B tiles from L2)", 512, 1, 4),
            new Case("A streamed (B 128x64 in L1, 20 A slivers from L2)", 128, 20, 1));

    /** One thread's operands: A slivers {@code [slivers][kc][6]}, B tiles {@code [bTiles][kc][64]}, C rows. */
    private record Operands(Case c, float[] a, float[] b, float[] out) {
        static Operands of(Case c, long seed) {
            SplittableRandom rnd = new SplittableRandom(seed);
            float[] a = new float[c.slivers() * c.kc() * TileKernel.ROWS];
            float[] b = new float[c.bTiles() * c.kc() * TileKernel.COLS];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (rnd.nextDouble() - 0.5);
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) (rnd.nextDouble() - 0.5);
            }
            return new Operands(c, a, b, new float[c.slivers() * c.bTiles() * TileKernel.ROWS * TileKernel.COLS]);
        }

        /** One pass: every A sliver against every B tile, each output tile written (not accumulated: no drift). */
        void pass() {
            int ldc = c.bTiles() * TileKernel.COLS;
            for (int s = 0; s < c.slivers(); s++) {
                for (int t = 0; t < c.bTiles(); t++) {
                    TileKernel.tile(a, s * c.kc() * TileKernel.ROWS, c.kc(), b, t * c.kc() * TileKernel.COLS,
                            TileKernel.ZERO, 0, 0, null, out, s * TileKernel.ROWS * ldc + t * TileKernel.COLS, ldc);
                }
            }
        }

        /** Output (sliver 0, row r, column tile 0, column j) against the sum in double. */
        void check() {
            int ldc = c.bTiles() * TileKernel.COLS;
            for (int r = 0; r < TileKernel.ROWS; r++) {
                for (int j = 0; j < TileKernel.COLS; j++) {
                    double want = 0;
                    for (int k = 0; k < c.kc(); k++) {
                        want += (double) a[TileKernel.packedIndex(r, k, c.kc())] * b[k * TileKernel.COLS + j];
                    }
                    if (Math.abs(out[r * ldc + j] - want) > 1e-4 * Math.sqrt(c.kc())) {
                        throw new IllegalStateException(c.name() + ": tile gave " + out[r * ldc + j] + " at (" + r + ", " + j + "), double sum " + want);
                    }
                }
            }
        }
    }

    private TileKernelBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        FmaPeak peak = FmaPeak.build(Path.of(args[0]), Path.of("bench/target"));
        int[] threadCounts = args.length > 1 ? Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray() : new int[]{1, 2};
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 0.5;
        System.out.printf(Locale.ROOT, "species %s, tile %d x %d, %d samples of %.1f s per case, median reported%n",
                TileKernel.S, TileKernel.ROWS, TileKernel.COLS, SAMPLES, seconds);
        for (int threads : threadCounts) {
            for (Case c : CASES) {
                List<Operands> ops = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    ops.add(Operands.of(c, 17 + t));
                }
                ops.getFirst().pass();
                ops.getFirst().check();
                long passes = Math.max(1, (long) (seconds * 60e9 / c.flopsPerPass()));
                run(ops, passes);  // warm-up: compiles the tile and the pass loop
                FmaPeak.Sample p = peak.measure(threads);
                double[] rate = new double[SAMPLES];
                double[] cpuRate = new double[SAMPLES];
                for (int i = 0; i < SAMPLES; i++) {
                    double cpu0 = FmaPeak.processCpuSeconds();
                    long t0 = System.nanoTime();
                    run(ops, passes);
                    double flops = c.flopsPerPass() * passes * threads;
                    rate[i] = flops / (System.nanoTime() - t0);
                    cpuRate[i] = flops * 1e-9 / (FmaPeak.processCpuSeconds() - cpu0);
                }
                Arrays.sort(rate);
                Arrays.sort(cpuRate);
                double r = rate[SAMPLES / 2], cr = cpuRate[SAMPLES / 2];
                System.out.printf(Locale.ROOT, "threads %d  %-52s %6.1f GFLOP/s (%.1f..%.1f) %5.1f%% of %5.1f wall; %6.1f GFLOP/cpu-s %5.1f%% of %5.1f%n",
                        threads, c.name(), r, rate[0], rate[SAMPLES - 1], 100 * r / p.median(), p.median(), cr, 100 * cr / p.perCpuSecond(), p.perCpuSecond());
            }
        }
    }

    /** {@code passes} passes on every thread's operands at once. */
    private static void run(List<Operands> ops, long passes) throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (Operands o : ops) {
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (long i = 0; i < passes; i++) {
                    o.pass();
                }
            }));
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
    }
}
