package dev.cogvideox.bench;

import dev.cogvideox.tensor.Conv3d;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;
import dev.cogvideox.tensor.onednn.OneDnnKernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.SplittableRandom;

import static dev.cogvideox.bench.Timing.median;

/**
 * {@code --compute bf16} against fp32: the linear layers' matrix product at the real layer shapes, {@code m} rows of
 * input, on the Java kernels (fp32 and bf16 weights, fp32 arithmetic) and on oneDNN's bf16 product (bf16 weights read
 * in place, and fp32 weights rounded at each call). Alternated round by round; each prints the median of its rounds
 * and its ratio to the Java fp32 product; then the VAE's 3x3x3 convolutions, Java fp32 against oneDNN bf16. Both run on the JVM's processor count ({@code -XX:ActiveProcessorCount=N}:
 * {@code bench/run-compute.sh}'s third argument).
 *
 * <p>Usage: {@code ComputeBench [m] [rounds]}.
 */
public final class ComputeBench {
    private ComputeBench() {
    }

    public static void main(String[] args) {
        int m = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Kernels bf16 = OneDnnKernels.load();
        // [K, N]: 2b attention and feed-forward in, 5b attention, feed-forward in and out, T5-XXL feed-forward in
        int[][] shapes = {{1920, 1920}, {1920, 5120}, {3072, 3072}, {3072, 12288}, {12288, 3072}, {4096, 10240}};
        String[] kinds = {"java fp32", "java bf16-weights", "onednn bf16", "onednn bf16 (fp32 weights)"};
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
            MemorySegment seg = Arena.ofAuto().allocate(2L * n * k, 64);
            for (int i = 0; i < wv.length; i++) {
                seg.setAtIndex(ValueLayout.JAVA_SHORT, i, DType.toBf16(wv[i]));
            }
            Weight bfw = new Weight("w", DType.BF16, new int[] {n, k}, seg);
            Kernels[] kernels = {Kernels.JAVA, Kernels.JAVA, bf16, bf16};
            Weight[] weights = {fp32, bfw, bfw, fp32};
            float[] y = new float[m * n];
            double[][] secs = new double[kinds.length][rounds];
            for (int q = 0; q < kinds.length; q++) {
                kernels[q].gemm(x, 0, m, k, weights[q], null, y, 0);     // warm-up (and oneDNN's primitive)
            }
            for (int r = 0; r < rounds; r++) {
                for (int q = 0; q < kinds.length; q++) {
                    long t0 = System.nanoTime();
                    kernels[q].gemm(x, 0, m, k, weights[q], null, y, 0);
                    secs[q][r] = (System.nanoTime() - t0) / 1e9;
                }
            }
            double gflop = 2.0 * m * k * n / 1e9;
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "m=%d k=%d n=%d:", m, k, n));
            double base = median(secs[0]);
            for (int q = 0; q < kinds.length; q++) {
                double med = median(secs[q]);
                line.append(String.format(Locale.ROOT, " | %s %.1f GFLOP/s (%.2fx)", kinds[q], gflop / med, base / med));
            }
            System.out.println(line);
        }
        // the VAE's 3x3x3 causal convolutions (2 output frames and 2 leading ones): mid/up0 resnet and up-block widths
        int[][] convs = {{512, 60, 90}, {256, 120, 180}, {128, 240, 360}};
        for (int[] c : convs) {
            int ch = c[0], h = c[1], w = c[2];
            Tensor x = gaussian(rnd, 1, ch, 2, h, w), front = gaussian(rnd, 1, ch, 2, h, w);
            Weight wt = Weight.of("conv", gaussian(rnd, ch, ch, 3, 3, 3));
            float[] bias = gaussian(rnd, ch).data();
            Conv3d.Geometry g = Conv3d.Geometry.same(1);
            Kernels[] kernels = {Kernels.JAVA, bf16};
            double[][] secs = new double[2][rounds];
            for (Kernels k : kernels) {
                k.conv3d(x, front, wt, bias, g);                             // warm-up
            }
            for (int r = 0; r < rounds; r++) {
                for (int q = 0; q < 2; q++) {
                    long t0 = System.nanoTime();
                    kernels[q].conv3d(x, front, wt, bias, g);
                    secs[q][r] = (System.nanoTime() - t0) / 1e9;
                }
            }
            double gflop = 2.0 * ch * ch * 27 * 2 * h * w / 1e9, java = median(secs[0]), native_ = median(secs[1]);
            System.out.println(String.format(Locale.ROOT, "conv %d->%d 3x3x3, 2 frames %dx%d: | java fp32 %.1f GFLOP/s | onednn bf16 %.1f GFLOP/s (%.2fx)",
                    ch, ch, h, w, gflop / java, gflop / native_, java / native_));
        }
    }

    private static Tensor gaussian(SplittableRandom rnd, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = (float) (rnd.nextGaussian() * 0.1);
        }
        return t;
    }
}
