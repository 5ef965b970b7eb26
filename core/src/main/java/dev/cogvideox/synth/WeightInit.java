package dev.cogvideox.synth;

/**
 * Deterministic random initial values, computable at any flat index (a counter-based generator), so a
 * multi-gigabyte tensor can be streamed to disk in chunks. Per parameter kind, as PyTorch initialises it:
 * norm weights 1, norm biases 0, other biases and matrices uniform with standard deviation {@code 1/sqrt(fan_in)}
 * (0.02 for vectors and embedding tables).
 */
public final class WeightInit {
    private WeightInit() {
    }

    /** Fills {@code dst[0..count)} with the values at flat indices {@code [from, from + count)} of weight {@code name}. */
    public static void fill(long seed, String name, int[] shape, long from, float[] dst, int count) {
        boolean norm = name.contains("norm") && shape.length == 1;
        if (norm) {
            java.util.Arrays.fill(dst, 0, count, name.endsWith(".weight") ? 1f : 0f);
            return;
        }
        double std;
        if (shape.length >= 2 && !name.contains("embed") && !name.equals("shared.weight")) {
            long fanIn = 1;
            for (int i = 1; i < shape.length; i++) {
                fanIn *= shape[i];
            }
            std = 1.0 / Math.sqrt(fanIn);
        } else {
            std = 0.02;
        }
        float half = (float) (std * Math.sqrt(3.0));
        long key = seed * 0x9E3779B97F4A7C15L ^ name.hashCode() * 0xC2B2AE3D27D4EB4FL;
        for (int i = 0; i < count; i++) {
            long z = mix(key + from + i);
            float u = (z >>> 40) * 0x1.0p-24f;                 // uniform in [0, 1)
            dst[i] = (2f * u - 1f) * half;
        }
    }

    /** SplitMix64's finaliser: a bijective 64-bit mix. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
