package dev.cogvideox.bench.ab;

import java.io.File;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Two versions of a kernel timed against each other in one JVM, their runs alternated: on a shared host, where
 * separate launches of the same code differ by 10-15%, only pairs timed seconds apart say which version is faster.
 *
 * <p>Usage: {@code AlternatedAB OLD_CP NEW_CP ROUNDS WORKLOAD ARGS...}. Each version gets its own class loader over
 * its class path (colon-separated, e.g. the {@code core/target/classes} of another checkout), followed by this
 * module's classes; {@link Workload} lists the workloads. The environment variables {@code PROPS_OLD} and
 * {@code PROPS_NEW} ({@code key=value,key=value}) are set as system properties just before each version's classes
 * are first used, so the two sides can also be one build with different tunables. Each round times each version
 * once (a short call repeated until the timing covers 0.25 s), in alternating order; the speedup is printed as the
 * median of the per-round ratios old/new and as the ratio of the fastest runs. Running one version against itself
 * gives the noise floor: within 3% in 10-12 rounds on a quiet Zen 4 (2026-12-05).
 */
public final class AlternatedAB {
    private AlternatedAB() {
    }

    private record Side(String name, Runnable run, double flops) {
        static Side load(String name, String classPath, String props, String[] workload) throws Exception {
            if (props != null && !props.isBlank()) {
                for (String kv : props.split(",")) {
                    String[] p = kv.split("=", 2);
                    if (p.length != 2) {
                        throw new IllegalArgumentException("PROPS_" + name.toUpperCase(Locale.ROOT) + ": '" + kv + "' is not key=value");
                    }
                    System.setProperty(p[0].trim(), p[1].trim());
                }
            }
            List<URL> urls = new ArrayList<>();
            for (String dir : (classPath + File.pathSeparator + ownClasses()).split(File.pathSeparator)) {
                if (!dir.isEmpty()) {
                    urls.add(new File(dir).toURI().toURL());
                }
            }
            // Parent: the platform loader, so that no class of ours is shared between the two versions.
            ClassLoader loader = new URLClassLoader(name, urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
            Method prepare = loader.loadClass(Workload.class.getName()).getMethod("prepare", String[].class, double[].class);
            double[] flops = new double[1];
            Runnable run = (Runnable) prepare.invoke(null, workload, flops);
            run.run(); // warm-up: JIT, page faults, and the static initialisers read their properties now
            return new Side(name, run, flops[0]);
        }

        /** Seconds per call over {@code calls} calls. */
        double time(int calls) {
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                run.run();
            }
            return (System.nanoTime() - t0) / 1e9 / calls;
        }
    }

    private static String ownClasses() throws Exception {
        return new File(AlternatedAB.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath();
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            throw new IllegalArgumentException("usage: AlternatedAB OLD_CP NEW_CP ROUNDS WORKLOAD ARGS...");
        }
        String[] workload = Arrays.copyOfRange(args, 3, args.length);
        Side old = Side.load("old", args[0], System.getenv("PROPS_OLD"), workload);
        Side neu = Side.load("new", args[1], System.getenv("PROPS_NEW"), workload);
        int rounds = Integer.parseInt(args[2]);
        // Short calls (a 26 ms convolution) repeat within a round, so that each timing covers at least 0.25 s.
        int calls = (int) Math.ceil(0.25 / Math.min(old.time(1), neu.time(1)));
        double[] tOld = new double[rounds], tNew = new double[rounds], ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            if (r % 2 == 0) {
                tOld[r] = old.time(calls);
                tNew[r] = neu.time(calls);
            } else {
                tNew[r] = neu.time(calls);
                tOld[r] = old.time(calls);
            }
            ratio[r] = tOld[r] / tNew[r];
            System.out.printf(Locale.ROOT, "round %2d: old %.4f s, new %.4f s, old/new %.3f%n", r, tOld[r], tNew[r], ratio[r]);
        }
        double bestOld = Arrays.stream(tOld).min().orElseThrow(), bestNew = Arrays.stream(tNew).min().orElseThrow();
        System.out.printf(Locale.ROOT, "%s: speedup old/new median of pairs %.3f, fastest runs %.3f (%.1f against %.1f GFLOP/s)%n",
                String.join(" ", workload), median(ratio), bestOld / bestNew, old.flops / bestOld / 1e9, neu.flops / bestNew / 1e9);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
