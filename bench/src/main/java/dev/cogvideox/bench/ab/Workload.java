package dev.cogvideox.bench.ab;

import dev.cogvideox.bench.KernelBench;
import dev.cogvideox.tensor.Conv3d;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.Shapes;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

import java.util.SplittableRandom;

/**
 * One kernel call on seeded random data, built inside the class loader of the version under test (see
 * {@link AlternatedAB}); only JDK types cross the loader boundary. The call goes through {@link Kernels#JAVA}, as the
 * models make it; against a revision from before that interface, {@code bench/run-ab.sh} puts the working tree's
 * {@code JavaKernels} in front of the revision's static kernels, so both sides time their own kernels.
 *
 * <ul>
 *   <li>{@code attention THREADS L}: 30 heads of 64 over L tokens (the 2b model's self-attention);
 *   <li>{@code conv THREADS CIN COUT H W KT}: one output frame of a 3x3 (KT = 1) or 3x3x3 (KT = 3) convolution;
 *   <li>{@code gemm THREADS M K N FORMAT}: {@code y = x W^T + b}, W stored as bf16 or f32, or quantized from f32 to
 *       int8, q8_0, q4_0 or q4_1.
 * </ul>
 */
public final class Workload {
    private Workload() {
    }

    /** Sets the thread count and returns the call to time; its FLOP count is in {@code flops[0]}. */
    public static Runnable prepare(String[] args, double[] flops) {
        Parallel.setThreads(Integer.parseInt(args[1]));
        SplittableRandom rnd = new SplittableRandom(7);
        switch (args[0]) {
            case "attention" -> {
                int l = Integer.parseInt(args[2]), heads = 30, d = 64;
                Tensor q = random(rnd, 1, l, heads * d), k = random(rnd, 1, l, heads * d), v = random(rnd, 1, l, heads * d);
                flops[0] = 4.0 * heads * l * (double) l * d;
                return () -> Kernels.JAVA.attend(q, k, v, heads, 0.125f, null, null);
            }
            case "conv" -> {
                int cin = Integer.parseInt(args[2]), cout = Integer.parseInt(args[3]), h = Integer.parseInt(args[4]),
                        w = Integer.parseInt(args[5]), kt = Integer.parseInt(args[6]);
                Tensor x = random(rnd, 1, cin, 1, h, w);
                Tensor front = kt == 3 ? random(rnd, 1, cin, 2, h, w) : null;
                Tensor wt = kt == 3 ? random(rnd, cout, cin, 3, 3, 3) : random(rnd, cout, cin, 3, 3);
                Weight weight = Weight.of("w", wt);
                float[] bias = random(rnd, cout).data();
                Conv3d.Geometry g = Conv3d.Geometry.same(1);
                Tensor out = Kernels.JAVA.conv3d(x, front, weight, bias, g);
                flops[0] = 2.0 * cout * cin * kt * 9 * h * (double) w;
                return () -> Kernels.JAVA.conv3dAccumulate(x, front, weight, bias, g, out);
            }
            case "gemm" -> {
                int m = Integer.parseInt(args[2]), k = Integer.parseInt(args[3]), n = Integer.parseInt(args[4]);
                String format = args[5].toLowerCase(java.util.Locale.ROOT);
                boolean stored = format.equals("bf16") || format.equals("f32");
                float[] x = random(rnd, m, k).data();
                Weight w = KernelBench.weight(stored ? DType.valueOf(format.toUpperCase(java.util.Locale.ROOT)) : DType.F32, n, k, rnd,
                        (float) (1 / Math.sqrt(k)));
                if (!stored) {
                    w = w.quantize(QuantFormat.parse("gemm FORMAT (bf16, f32 or a quantized format)", format));
                }
                Weight weight = w;
                float[] bias = random(rnd, n).data();
                float[] y = new float[m * n];
                flops[0] = 2.0 * m * k * (double) n;
                return () -> Kernels.JAVA.gemm(x, 0, m, k, weight, bias, y, 0);
            }
            default -> throw new IllegalArgumentException("unknown workload " + args[0] + " (attention, conv or gemm)");
        }
    }

    private static Tensor random(SplittableRandom rnd, int... shape) {
        return Tensor.of(KernelBench.random(rnd, Math.toIntExact(Shapes.numel(shape)), 1f), shape);
    }
}
