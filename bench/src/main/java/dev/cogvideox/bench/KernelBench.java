package dev.cogvideox.bench;

import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The kernels on CogVideoX's real shapes, each as GFLOP/s and as a fraction of the machine's fp32 FMA peak
 * measured by {@code fma_peak.c} in the same run, right before and right after each case. Two ratios:
 * <ul>
 *   <li>wall: the median run's GFLOP/s over the mean of the two peak medians (both wall-clock);
 *   <li>cpu: GFLOP per CPU-second of this process (median over the runs) over GFLOP per CPU-second of
 *       fma_peak. On a machine shared with other jobs, time slices taken by them slow both sides of the wall
 *       ratio by different amounts; the cpu ratio counts only the time each side actually ran, so it estimates
 *       the kernel itself (it does not count threads waiting at a barrier).
 * </ul>
 *
 * <p>Usage: {@code KernelBench [--peak-src PATH] [--out DIR] [--reps N] [--tokens L] [--only gemm|attention] [--threads N]}.
 * Each case runs once untimed (JIT warm-up, page faults), then {@code reps} timed runs; the median and the
 * min..max spread are printed, one line per case and one JSON line per case for scripts. A sampled check
 * against a double-precision dot product guards against benchmarking a broken kernel.
 */
public final class KernelBench {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private KernelBench() {
    }

    private record Result(String name, double gflop, double[] seconds, double[] cpuSeconds, FmaPeak.Sample before, FmaPeak.Sample after) {
        double peak() {
            return (before.median() + after.median()) / 2;
        }

        double cpuPeak() {
            return (before.perCpuSecond() + after.perCpuSecond()) / 2;
        }

        double cpuRate() {
            return gflop / Timing.median(cpuSeconds);
        }

        /** The fastest run over the fastest fma_peak sample before or after it (see {@link FmaPeak}). */
        double bestFraction() {
            return gflop / Arrays.stream(seconds).min().orElseThrow() / Math.max(before.best(), after.best());
        }

        double median() {
            return Timing.median(seconds);
        }
    }

    @FunctionalInterface
    private interface Run {
        void run();
    }

    public static void main(String[] args) throws Exception {
        Path peakSrc = Path.of("../shared/bench/fma_peak.c");
        Path out = Path.of("bench/target");
        int reps = 3;
        int tokens = 17776;
        int small = 4096;
        String only = "";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--peak-src" -> peakSrc = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--tokens" -> tokens = Integer.parseInt(args[++i]);
                case "--small" -> small = Integer.parseInt(args[++i]);
                case "--only" -> only = args[++i];
                case "--threads" -> Parallel.setThreads(Integer.parseInt(args[++i]));
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        FmaPeak peak = FmaPeak.build(peakSrc, out);
        System.out.printf(Locale.ROOT, "threads %d, species %s%n", Parallel.threads(), jdk.incubator.vector.FloatVector.SPECIES_PREFERRED);
        // Suppliers, so that each case's arrays exist only while it runs (the FF cases hold 0.7 GB each).
        List<Supplier<Case>> cases = new ArrayList<>();
        if (!only.equals("attention")) {
            int m = tokens;
            cases.add(() -> linear("linear " + m + "x1920->1920 bf16", m, 1920, 1920, DType.BF16));
            cases.add(() -> linear("linear " + m + "x1920->1920 f32", m, 1920, 1920, DType.F32));
            cases.add(() -> linear("ff1 " + m + "x1920->7680 bf16", m, 1920, 7680, DType.BF16));
            cases.add(() -> linear("ff2 " + m + "x7680->1920 bf16", m, 7680, 1920, DType.BF16));
        }
        if (!only.equals("gemm")) {
            for (int l : tokens == small ? new int[]{small} : new int[]{small, tokens}) {
                cases.add(() -> attention("attention 30x64 L=" + l, l, 30, 64));
            }
        }
        List<Result> results = new ArrayList<>();
        for (Supplier<Case> c : cases) {
            results.add(time(c.get(), reps, peak));
        }
        for (Result r : results) {
            double[] s = r.seconds.clone();
            Arrays.sort(s);
            double med = r.median();
            System.out.printf(Locale.ROOT, "%-36s median %7.3f s (%.3f..%.3f) %6.1f GFLOP/s, peak %5.1f..%5.1f: wall %5.1f%%;"
                            + " %5.1f GFLOP/cpu-s of %5.1f: cpu %5.1f%%; best %5.1f%%%n",
                    r.name, med, s[0], s[s.length - 1], r.gflop / med, r.before.median(), r.after.median(), 100 * r.gflop / med / r.peak(),
                    r.cpuRate(), r.cpuPeak(), 100 * r.cpuRate() / r.cpuPeak(), 100 * r.bestFraction());
        }
        for (Result r : results) {
            double med = r.median();
            System.out.printf(Locale.ROOT, "{\"case\": \"%s\", \"median_s\": %.4f, \"min_s\": %.4f, \"max_s\": %.4f, \"gflops\": %.1f,"
                            + " \"peak_gflops\": %.1f, \"fraction_of_peak\": %.3f, \"cpu_fraction_of_peak\": %.3f, \"best_fraction_of_peak\": %.3f}%n",
                    r.name, med, Arrays.stream(r.seconds).min().orElseThrow(), Arrays.stream(r.seconds).max().orElseThrow(),
                    r.gflop / med, r.peak(), r.gflop / med / r.peak(), r.cpuRate() / r.cpuPeak(), r.bestFraction());
        }
    }

    /** A benchmark case: its work, its FLOP count and a check of the last result. */
    private record Case(String name, double flops, Run body, Run check) {
    }

    private static Case linear(String name, int m, int k, int n, DType dtype) {
        SplittableRandom rnd = new SplittableRandom(1);
        float[] x = random(rnd, m * k, 1f);
        Weight w = weight(dtype, n, k, rnd, (float) (1 / Math.sqrt(k)));
        float[] bias = random(rnd, n, 0.1f);
        float[] y = new float[m * n];
        return new Case(name, 2.0 * m * k * n, () -> Kernels.JAVA.gemm(x, 0, m, k, w, bias, y, 0), () -> {
            float[] wf = new float[k];
            for (int t = 0; t < 16; t++) {
                int i = rnd.nextInt(m), j = rnd.nextInt(n);
                w.widen((long) j * k, wf, 0, k);
                double s = bias[j];
                for (int kk = 0; kk < k; kk++) {
                    s += (double) x[i * k + kk] * wf[kk];
                }
                check(name, y[i * n + j], s, 1e-4 * Math.sqrt(k));
            }
        });
    }

    private static Case attention(String name, int l, int heads, int d) {
        SplittableRandom rnd = new SplittableRandom(2);
        int width = heads * d;
        Tensor q = Tensor.of(random(rnd, l * width, 1f), 1, l, width);
        Tensor k = Tensor.of(random(rnd, l * width, 1f), 1, l, width);
        Tensor v = Tensor.of(random(rnd, l * width, 1f), 1, l, width);
        float scale = (float) (1 / Math.sqrt(d));
        Tensor[] out = new Tensor[1];
        return new Case(name, 4.0 * heads * l * (double) l * d, () -> out[0] = Kernels.JAVA.attend(q, k, v, heads, scale, null, null), () -> {
            double[] p = new double[l];
            for (int t = 0; t < 4; t++) {
                int i = rnd.nextInt(l), h = rnd.nextInt(heads), c = rnd.nextInt(d);
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < l; j++) {
                    double s = 0;
                    for (int e = 0; e < d; e++) {
                        s += (double) q.data()[i * width + h * d + e] * k.data()[j * width + h * d + e];
                    }
                    p[j] = s * scale;
                    max = Math.max(max, p[j]);
                }
                double sum = 0, acc = 0;
                for (int j = 0; j < l; j++) {
                    double e = Math.exp(p[j] - max);
                    sum += e;
                    acc += e * v.data()[j * width + h * d + c];
                }
                check(name, out[0].data()[i * width + h * d + c], acc / sum, 1e-4);
            }
        });
    }

    /** One untimed run (JIT warm-up, page faults) and its check, then the peak, {@code reps} timed runs, the peak. */
    private static Result time(Case c, int reps, FmaPeak peak) throws IOException, InterruptedException {
        c.body.run();
        c.check.run();
        FmaPeak.Sample before = peak.measure(Parallel.threads());
        double[] s = new double[reps];
        double[] cpu = new double[reps];
        for (int i = 0; i < reps; i++) {
            double c0 = FmaPeak.processCpuSeconds();
            long t0 = System.nanoTime();
            c.body.run();
            s[i] = (System.nanoTime() - t0) * 1e-9;
            cpu[i] = FmaPeak.processCpuSeconds() - c0;
        }
        FmaPeak.Sample after = peak.measure(Parallel.threads());
        System.out.printf(Locale.ROOT, "  %-36s %s s%n", c.name, Arrays.toString(Arrays.stream(s).map(v -> Math.round(v * 1000) / 1000.0).toArray()));
        return new Result(c.name, c.flops * 1e-9, s, cpu, before, after);
    }

    private static void check(String name, float got, double want, double tol) {
        if (!(Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)))) {
            throw new IllegalStateException(name + ": kernel gave " + got + ", double-precision reference " + want);
        }
    }

    /** {@code n} values uniform in {@code [-scale, scale)}. */
    public static float[] random(SplittableRandom rnd, int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextDouble() * 2 - 1) * scale;
        }
        return v;
    }

    /** A random {@code [n, k]} weight in native memory, as a memory-mapped checkpoint holds it. */
    public static Weight weight(DType dtype, int n, int k, SplittableRandom rnd, float scale) {
        // Native memory, as a memory-mapped checkpoint is, so bf16 widens on the Vector API as it does for a
        // checkpoint (Weight takes the scalar loop for heap segments).
        MemorySegment seg = Arena.ofAuto().allocate((long) n * k * dtype.bytes(), 64);
        for (long i = 0; i < (long) n * k; i++) {
            float v = (float) (rnd.nextDouble() * 2 - 1) * scale;
            if (dtype == DType.F32) {
                seg.setAtIndex(F32, i, v);
            } else {
                seg.setAtIndex(U16, i, dtype == DType.BF16 ? (short) (Float.floatToRawIntBits(v) >>> 16) : Float.floatToFloat16(v));
            }
        }
        return new Weight("w", dtype, new int[]{n, k}, seg);
    }
}
