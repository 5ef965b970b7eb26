package dev.cogvideox.bench;

import java.util.Arrays;

/** What the benchmarks report of repeated timings. */
public final class Timing {
    private Timing() {
    }

    /** The median of {@code v} (the upper one of an even count): the run that the noise of the others does not move. */
    public static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
