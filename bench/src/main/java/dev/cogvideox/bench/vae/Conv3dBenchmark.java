package dev.cogvideox.bench.vae;

import dev.cogvideox.bench.FmaPeak;
import dev.cogvideox.tensor.Conv3d;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The VAE's convolution at the real 2b decoder's shapes (720x480 video: latents 60x90, stages at 60x90, 120x180,
 * 240x360 and 480x720; also the tiled decode's 240x360 tiles), as a fraction of the machine's fp32 FMA peak.
 *
 * <p>Two ratios are printed. Wall: the kernel's GFLOP/s over {@code fma_peak}'s median. CPU: GFLOP per CPU-second of
 * this process over GFLOP per CPU-second of {@code fma_peak} (its fixed FLOP count over its children's user+system
 * time): on a machine shared with other jobs, time-slicing stretches wall times but not CPU times, so the CPU ratio is
 * the kernel's efficiency on the cores it actually got.
 *
 * <p>Each shape is one output frame of a causal 3x3x3 convolution (2 leading cache frames + 1 frame: the work of
 * every frame of a real frame batch), or of the upsampler's per-frame 3x3 convolution, summed into an output allocated
 * before the timing ({@code Conv3d.accumulate}, the resnets' second convolution): the kernel, not the allocation of a
 * new output (up to 354 MB here, zeroed by one thread). The peak is measured by
 * {@code fma_peak} (../shared/bench/fma_peak.c, built with {@code gcc -O2 -mavx512f -pthread}) with the same thread
 * count, right before each shape, so both figures come from the same minutes of a shared machine. Settings: 1
 * warm-up run, then {@code runs} timed runs; min / median / max reported, the ratio taken at the median. A
 * correctness check inside: 64 seeded output values against a double-precision sum.
 *
 * <p>Usage: {@code Conv3dBenchmark FMA_PEAK_C [runs=3] [threads=all] [only shapes whose name contains this]}, from the
 * repository root (fma_peak is built into {@code bench/target}).
 */
public final class Conv3dBenchmark {
    /** Output channels, input channels, height, width, temporal kernel (3: causal 3x3x3, 1: the upsampler's 2D 3x3). */
    record Case(String name, int cout, int cin, int h, int w, int kt) {
        double flops() {
            return 2.0 * cout * cin * kt * 9 * h * w;
        }
    }

    static final List<Case> CASES = List.of(
            new Case("mid/up0 resnet 512->512 @60x90", 512, 512, 60, 90, 3),
            new Case("resnet 256->256 @60x90", 256, 256, 60, 90, 3),
            new Case("resnet 128->128 @60x90", 128, 128, 60, 90, 3),
            new Case("up1 resnet 256->256 @120x180", 256, 256, 120, 180, 3),
            new Case("resnet 128->128 @120x180", 128, 128, 120, 180, 3),
            new Case("up2 resnet 256->256 @240x360", 256, 256, 240, 360, 3),
            new Case("up3 resnet 128->128 @240x360 (tile)", 128, 128, 240, 360, 3),
            new Case("up3 resnet 128->128 @480x720", 128, 128, 480, 720, 3),
            new Case("up3 conv1 256->128 @480x720", 128, 256, 480, 720, 3),
            new Case("up2 upsampler 2D 256->256 @480x720", 256, 256, 480, 720, 1));

    private Conv3dBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        FmaPeak fmaPeak = FmaPeak.build(Path.of(args[0]), Path.of("bench/target"));
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        if (args.length > 2) {
            Parallel.setThreads(Integer.parseInt(args[2]));
        }
        int threads = Parallel.threads();
        System.out.printf("threads %d, %d timed runs per shape, peak measured before each shape%n", threads, runs);
        System.out.printf("%-38s %7s %8s %7s %8s %7s %9s %7s %7s %s%n", "shape (one output frame)", "min s", "median s", "max s", "GFLOP/s",
                "% peak", "GF/cpu-s", "% peak", "best", "(fma_peak wall median, per cpu-s, best)");
        String only = args.length > 3 ? args[3] : "";
        for (Case c : CASES) {
            if (!c.name().contains(only)) {
                continue;
            }
            Random rnd = new Random(c.name().hashCode());
            Tensor x = random(rnd, 1, c.cin(), 1, c.h(), c.w());
            Tensor front = c.kt() == 3 ? random(rnd, 1, c.cin(), 2, c.h(), c.w()) : null;
            float scale = (float) Math.sqrt(1.0 / (c.cin() * c.kt() * 9));
            Tensor wt = c.kt() == 3 ? random(rnd, c.cout(), c.cin(), 3, 3, 3) : random(rnd, c.cout(), c.cin(), 3, 3);
            for (int i = 0; i < wt.numel(); i++) {
                wt.data()[i] *= scale;
            }
            Weight w = Weight.of("w", wt);
            float[] bias = random(rnd, c.cout()).data();
            Conv3d.Geometry g = Conv3d.Geometry.same(1);
            Tensor out = Kernels.JAVA.conv3d(x, front, w, bias, g);
            check(c, x, front, wt, bias, out);
            double[] seconds = new double[runs];
            FmaPeak.Sample peak = fmaPeak.measure(threads);
            double cpu0 = FmaPeak.processCpuSeconds();
            for (int r = 0; r < runs; r++) {
                long t0 = System.nanoTime();
                Kernels.JAVA.conv3dAccumulate(x, front, w, bias, g, out);
                seconds[r] = (System.nanoTime() - t0) / 1e9;
            }
            double cpuSeconds = FmaPeak.processCpuSeconds() - cpu0;
            Arrays.sort(seconds);
            double gflops = c.flops() / seconds[runs / 2] / 1e9;
            double perCpu = c.flops() * runs / cpuSeconds / 1e9;
            // best: the fastest run over fma_peak's fastest sample (see FmaPeak)
            double best = c.flops() / seconds[0] / 1e9 / peak.best();
            System.out.printf("%-38s %7.3f %8.3f %7.3f %8.1f %6.1f%% %9.1f %6.1f%% %6.1f%% (%.1f, %.1f, %.1f)%n", c.name(), seconds[0], seconds[runs / 2],
                    seconds[runs - 1], gflops, 100 * gflops / peak.median(), perCpu, 100 * perCpu / peak.perCpuSecond(), 100 * best,
                    peak.median(), peak.perCpuSecond(), peak.best());
        }
    }

    /** 64 seeded output values against the definition summed in double (relative to the output's RMS). */
    private static void check(Case c, Tensor x, Tensor front, Tensor wt, float[] bias, Tensor out) {
        Random rnd = new Random(5);
        int h = c.h(), w = c.w(), cin = c.cin();
        double worst = 0, rms = 0;
        for (float v : out.data()) {
            rms += (double) v * v;
        }
        rms = Math.sqrt(rms / out.numel());
        for (int s = 0; s < 64; s++) {
            int co = rnd.nextInt(c.cout()), y = rnd.nextInt(h), xx = rnd.nextInt(w);
            double sum = bias[co];
            for (int ci = 0; ci < cin; ci++) {
                for (int dt = 0; dt < c.kt(); dt++) {
                    for (int dh = 0; dh < 3; dh++) {
                        for (int dw = 0; dw < 3; dw++) {
                            int yy = y + dh - 1, xc = xx + dw - 1;
                            if (yy < 0 || yy >= h || xc < 0 || xc >= w) {
                                continue;
                            }
                            float v = dt < c.kt() - 1 ? front.data()[((ci * 2 + dt) * h + yy) * w + xc] : x.data()[(ci * h + yy) * w + xc];
                            sum += (double) v * wt.data()[((co * cin + ci) * c.kt() + dt) * 9 + dh * 3 + dw];
                        }
                    }
                }
            }
            worst = Math.max(worst, Math.abs(sum - out.data()[(co * h + y) * w + xx]) / rms);
        }
        if (!(worst < 1e-4)) {
            throw new IllegalStateException(c.name() + ": output differs from the definition by " + worst + " of its RMS");
        }
    }

    private static Tensor random(Random rnd, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = (float) rnd.nextGaussian();
        }
        return t;
    }
}
