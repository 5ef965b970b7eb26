package dev.cogvideox.tensor;

/**
 * Counting NaN and infinite values: one pass over the data, no allocation beyond a small buffer for stored
 * weights. The checks of the pipeline ({@link #requireFinite}), of {@code inspect} ({@link #countNonFinite(Weight)})
 * and of training use these, so "non-finite" means the same everywhere.
 */
public final class Finite {
    private static final int CHUNK = 1 << 16;

    private Finite() {
    }

    /** NaN and +-Inf values of {@code data}. */
    public static long countNonFinite(float[] data) {
        long n = 0;
        for (float v : data) {
            // v - v is 0 for every finite v, NaN for NaN and +-Inf
            if (v - v != 0) {
                n++;
            }
        }
        return n;
    }

    public static long countNonFinite(Tensor t) {
        return countNonFinite(t.data());
    }

    /** NaN and +-Inf values of a stored weight (any float dtype), read in chunks. */
    public static long countNonFinite(Weight w) {
        float[] buf = new float[(int) Math.min(CHUNK, Math.max(1, w.numel()))];
        long n = 0;
        for (long from = 0; from < w.numel(); from += buf.length) {
            int len = (int) Math.min(buf.length, w.numel() - from);
            w.widen(from, buf, 0, len);
            for (int i = 0; i < len; i++) {
                if (buf[i] - buf[i] != 0) {
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * Throws a {@link NonFiniteException} when {@code t} holds NaN or Inf: "{@code where}: 3 of 96 {@code what} values are
     * NaN or infinite; {@code cause}", where the cause says what likely produced them and what to do.
     */
    public static Tensor requireFinite(Tensor t, String where, String what, String cause) {
        long bad = countNonFinite(t);
        if (bad > 0) {
            throw new NonFiniteException(where + ": " + bad + " of " + t.numel() + " " + what + " values are NaN or infinite; " + cause);
        }
        return t;
    }
}
