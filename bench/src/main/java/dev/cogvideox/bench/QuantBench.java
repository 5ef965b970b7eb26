package dev.cogvideox.bench;

import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.SplittableRandom;

import static dev.cogvideox.bench.Timing.median;

/**
 * The matrix product with quantized weights against the same product on fp32 and bf16 weights, at the real
 * layer shapes, {@code m} rows of input (default 512: a short run). The kinds are alternated round by round so a
 * shared machine's load falls on all of them alike; each prints the median of its rounds and its ratio to fp32.
 *
 * <p>Usage: {@code QuantBench [m] [rounds]}.
 */
public final class QuantBench {
    private QuantBench() {
    }

    public static void main(String[] args) {
        int m = args.length > 0 ? Integer.parseInt(args[0]) : 512;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        // [K, N]: 2b attention and feed-forward in, 5b attention, feed-forward in and out, T5-XXL feed-forward in
        int[][] shapes = {{1920, 1920}, {1920, 5120}, {3072, 3072}, {3072, 12288}, {12288, 3072}, {4096, 10240}};
        String[] kinds = {"fp32", "bf16", "int8", "q8_0", "q4_0", "q4_1"};
        SplittableRandom rnd = new SplittableRandom(1);
        for (int[] s : shapes) {
            int k = s[0], n = s[1];
            float[] x = new float[m * k];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] wv = new float[n * k];
            for (int i = 0; i < wv.length; i++) {
                wv[i] = (float) (rnd.nextGaussian() / Math.sqrt(k));
            }
            Weight fp32 = Weight.of("w", Tensor.of(wv, n, k));
            Weight[] weights = new Weight[kinds.length];
            weights[0] = fp32;
            MemorySegment bf = Arena.ofAuto().allocate(2L * n * k);
            ValueLayout.OfShort u16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < wv.length; i++) {
                bf.setAtIndex(u16, i, (short) (Float.floatToRawIntBits(wv[i]) >>> 16));
            }
            weights[1] = new Weight("w", DType.BF16, new int[] {n, k}, bf);
            for (int q = 2; q < kinds.length; q++) {
                weights[q] = fp32.quantize(QuantFormat.parse("kind", kinds[q]));
            }
            float[] y = new float[m * n];
            double[][] secs = new double[kinds.length][rounds];
            for (Weight w : weights) {
                Kernels.JAVA.gemm(x, 0, m, k, w, null, y, 0);     // warm-up
            }
            for (int r = 0; r < rounds; r++) {
                for (int q = 0; q < kinds.length; q++) {
                    long t0 = System.nanoTime();
                    Kernels.JAVA.gemm(x, 0, m, k, weights[q], null, y, 0);
                    secs[q][r] = (System.nanoTime() - t0) / 1e9;
                }
            }
            double gflop = 2.0 * m * k * n / 1e9;
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "m=%d k=%d n=%d:", m, k, n));
            double base = median(secs[0]);
            for (int q = 0; q < kinds.length; q++) {
                double med = median(secs[q]);
                line.append(String.format(Locale.ROOT, "  %s %.1f GFLOP/s (%.2fx, %s)", kinds[q], gflop / med, base / med,
                        mb(weights[q].byteSize())));
            }
            System.out.println(line);
        }
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}
