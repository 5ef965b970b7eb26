package dev.cogvideox.bench;

import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.VectorMath;
import dev.cogvideox.tensor.Weight;
import dev.cogvideox.tensor.onednn.OneDnnKernels;

import java.util.Locale;
import java.util.SplittableRandom;

import static dev.cogvideox.bench.Timing.median;

/**
 * Could attention run faster in bf16 through oneDNN? The oneDNN build on Maven Central has neither the graph API
 * (its fused SDPA) nor the brgemm micro-kernel API, so a bf16 attention there is the unfused one: S = Q K^T as one
 * bf16 product, a row softmax over S in fp32 (the Vector API exponential our kernel uses), O = P V as another bf16 product. This times that, for one
 * head of {@code tokens} tokens and 64 channels, against our fused fp32 flash kernel on the same head, alternated
 * round by round, and prints each part's share.
 *
 * <p>Usage: {@code AttentionBf16Probe [tokens] [rounds]} (17776: a full-size 2b or 5b video with its text).
 */
public final class AttentionBf16Probe {
    private AttentionBf16Probe() {
    }

    public static void main(String[] args) {
        int l = args.length > 0 ? Integer.parseInt(args[0]) : 17776;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int d = 64;
        Kernels bf16 = OneDnnKernels.load();
        SplittableRandom rnd = new SplittableRandom(7);
        float[] q = new float[l * d], k = new float[l * d], v = new float[l * d];
        for (float[] a : new float[][] {q, k, v}) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) rnd.nextGaussian();
            }
        }
        float scale = (float) (1 / Math.sqrt(d));
        // V^T [d, l] as the second product's weight ([n, k] = [d, l])
        float[] vt = new float[d * l];
        for (int i = 0; i < l; i++) {
            for (int e = 0; e < d; e++) {
                vt[e * l + i] = v[i * d + e];
            }
        }
        Weight kw = Weight.of("k", Tensor.of(k, l, d)), vw = Weight.of("vt", Tensor.of(vt, d, l));
        float[] qs = new float[l * d];                                  // the scale folded into Q for the unfused path
        for (int i = 0; i < qs.length; i++) {
            qs[i] = q[i] * scale;
        }
        float[] s = new float[l * l], out = new float[l * d];
        Tensor qt = Tensor.of(q, 1, l, d), ktt = Tensor.of(k, 1, l, d), vtt = Tensor.of(v, 1, l, d);
        double[] fused = new double[rounds], qk = new double[rounds], soft = new double[rounds], pv = new double[rounds];
        for (int r = -1; r < rounds; r++) {                           // round -1: warm-up
            long t0 = System.nanoTime();
            Tensor exact = Kernels.JAVA.attend(qt, ktt, vtt, 1, scale, null, null);
            long t1 = System.nanoTime();
            bf16.gemm(qs, 0, l, d, kw, null, s, 0);
            long t2 = System.nanoTime();
            Parallel.forRange(l, 16, (r0, r1) -> {
                for (int row = r0; row < r1; row++) {
                    VectorMath.softmaxInPlace(s, row * l, (row + 1) * l);
                }
            });
            long t3 = System.nanoTime();
            bf16.gemm(s, 0, l, l, vw, null, out, 0);
            long t4 = System.nanoTime();
            if (r >= 0) {
                fused[r] = (t1 - t0) / 1e9;
                qk[r] = (t2 - t1) / 1e9;
                soft[r] = (t3 - t2) / 1e9;
                pv[r] = (t4 - t3) / 1e9;
            } else {
                double err = 0, ref = 0;
                for (int i = 0; i < out.length; i++) {
                    err += Math.pow(out[i] - exact.data()[i], 2);
                    ref += Math.pow(exact.data()[i], 2);
                }
                System.out.printf(Locale.ROOT, "unfused bf16 against fused fp32: rms relative difference %.2e%n", Math.sqrt(err / ref));
            }
        }
        double gflop = 4.0 * l * l * d / 1e9;
        double f = median(fused), a = median(qk), b = median(soft), c = median(pv), unfused = a + b + c;
        System.out.printf(Locale.ROOT, "one head, %d tokens x %d, %d threads, median of %d:%n", l, d, Parallel.threads(), rounds);
        System.out.printf(Locale.ROOT, "  fused fp32 (ours)      %7.3f s  %6.1f GFLOP/s%n", f, gflop / f);
        System.out.printf(Locale.ROOT, "  unfused bf16 (oneDNN)  %7.3f s  %6.1f GFLOP/s  (%.2fx the fused fp32)%n", unfused, gflop / unfused, f / unfused);
        System.out.printf(Locale.ROOT, "    S = Q K^T  %7.3f s  %6.1f GFLOP/s%n", a, gflop / 2 / a);
        System.out.printf(Locale.ROOT, "    softmax    %7.3f s  (%.1f GB of scores read and written)%n", b, 8.0 * l * l / 1e9);
        System.out.printf(Locale.ROOT, "    O = P V    %7.3f s  %6.1f GFLOP/s%n", c, gflop / 2 / c);
    }
}
