package dev.cogvideox.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The machine's fp32 FMA peak, measured by the peer's {@code ../shared/bench/fma_peak.c} (built here with
 * {@code gcc -O2 -mavx512f -pthread}) so that every benchmark states its figures as a fraction of a peak measured in
 * the same minutes. Two rates per measurement:
 * <ul>
 *   <li>wall: fma_peak's median over its samples, GFLOP/s;
 *   <li>per CPU-second: its FLOP count (the loop constants read from the source: SAMPLES x threads x ITERS x CHAINS
 *       x LANES x 2) over its user + system time. On a machine shared with other jobs, time slices taken by them
 *       stretch wall times but not CPU times, so a kernel's GFLOP per CPU-second over this rate is its efficiency on
 *       the cores it actually got;
 *   <li>best: fma_peak's fastest sample, GFLOP/s. Other jobs only ever slow a run down, so a kernel's fastest run
 *       over this is the efficiency it reaches when left alone (on a host whose load changes from second to second
 *       the medians of two runs a minute apart can differ by a third; the best of several is steadier).
 * </ul>
 */
public final class FmaPeak {
    /** One run of fma_peak: its median and its fastest sample in wall-clock GFLOP/s, and its GFLOP per CPU-second. */
    public record Sample(double median, double best, double perCpuSecond) {
    }

    private final Path binary;
    private final long flopsPerThread;

    private FmaPeak(Path binary, long flopsPerThread) {
        this.binary = binary;
        this.flopsPerThread = flopsPerThread;
    }

    /** Compiles {@code source} (fma_peak.c) into {@code outDir}. */
    public static FmaPeak build(Path source, Path outDir) throws IOException, InterruptedException {
        if (!Files.isRegularFile(source)) {
            throw new IllegalArgumentException("fma_peak source not found: " + source + " (pass --peak-src PATH)");
        }
        String c = Files.readString(source);
        Files.createDirectories(outDir);
        Path bin = outDir.resolve("fma_peak");
        exec(List.of("gcc", "-O2", "-mavx512f", "-pthread", source.toString(), "-o", bin.toString()));
        return new FmaPeak(bin, 2L * define(c, "SAMPLES") * define(c, "ITERS") * define(c, "CHAINS") * define(c, "LANES"));
    }

    /** Runs fma_peak with {@code threads} threads under bash's {@code time}. */
    public Sample measure(int threads) throws IOException, InterruptedException {
        String text = exec(List.of("bash", "-c", "TIMEFORMAT='cpu %3U %3S'; time '" + binary + "' " + threads));
        Matcher m = Pattern.compile("\"median_gflops\": ([0-9.]+)").matcher(text);
        Matcher b = Pattern.compile("\"max\": ([0-9.]+)").matcher(text);
        Matcher t = Pattern.compile("cpu ([0-9.]+) ([0-9.]+)").matcher(text);
        if (!m.find() || !b.find() || !t.find()) {
            throw new IllegalStateException(binary + " printed " + text);
        }
        double flops = (double) flopsPerThread * threads;
        return new Sample(Double.parseDouble(m.group(1)), Double.parseDouble(b.group(1)), flops * 1e-9 / (Double.parseDouble(t.group(1)) + Double.parseDouble(t.group(2))));
    }

    /** CPU time of this process, all threads, in seconds. */
    public static double processCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() * 1e-9;
    }

    /** The last {@code #define NAME value} of the C source (the AVX-512 branch comes after the AVX2 one). */
    private static long define(String c, String name) {
        Matcher m = Pattern.compile("#define " + name + " ([0-9]+)L?\\s").matcher(c);
        long v = -1;
        while (m.find()) {
            v = Long.parseLong(m.group(1));
        }
        if (v < 0) {
            throw new IllegalStateException("fma_peak.c defines no " + name);
        }
        return v;
    }

    private static String exec(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + text);
        }
        return text;
    }
}
