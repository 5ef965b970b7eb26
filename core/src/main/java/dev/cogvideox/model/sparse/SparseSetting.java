package dev.cogvideox.model.sparse;

import java.util.Locale;

/**
 * An attention choice as the command line spells it: {@code dense}, {@code sparse} (Sparse VideoGen with the first
 * 30% of the steps dense), {@code sparse:FRACTION} (that share of the first steps dense, in [0, 1]) or
 * {@code sparse:FRACTION:MAX_ERROR} (a head whose better mask misses the profiled rows by more than MAX_ERROR, a
 * relative squared error, stays dense at that step; {@link SparseVideoAttention}).
 */
public record SparseSetting(String text, boolean sparse, double denseFraction, double maxError) {
    public static final SparseSetting DENSE = new SparseSetting("dense", false, 1, Double.POSITIVE_INFINITY);
    /** The share of steps SVG's scripts keep dense by default (their `first_times_fp` 0.075, "30%"). */
    public static final double DEFAULT_DENSE_FRACTION = 0.3;

    public SparseSetting(String text, boolean sparse, double denseFraction) {
        this(text, sparse, denseFraction, Double.POSITIVE_INFINITY);
    }

    public static SparseSetting parse(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        if (s.equals("dense")) {
            return DENSE;
        }
        if (s.equals("sparse")) {
            return new SparseSetting(s, true, DEFAULT_DENSE_FRACTION);
        }
        if (s.startsWith("sparse:")) {
            String[] parts = s.substring(7).split(":", -1);
            if (parts.length > 2) {
                throw new IllegalArgumentException("'" + text + "': expected sparse:FRACTION or sparse:FRACTION:MAX_ERROR");
            }
            double f = number(text, parts[0], "the share of dense steps");
            if (!(f >= 0 && f <= 1)) {
                throw new IllegalArgumentException("'" + text + "': the share of dense first steps must be in [0, 1] (0.3 is the default)");
            }
            double maxError = Double.POSITIVE_INFINITY;
            if (parts.length == 2) {
                maxError = number(text, parts[1], "the largest error of a sparse head");
                if (!(maxError > 0) || Double.isInfinite(maxError)) {
                    throw new IllegalArgumentException("'" + text + "': the largest error of a sparse head must be a positive number "
                            + "(a relative squared error, e.g. 0.05; leave it out for no limit)");
                }
            }
            return new SparseSetting(s, true, f, maxError);
        }
        throw new IllegalArgumentException("'" + text + "' is not an attention setting: use dense, sparse, sparse:FRACTION (e.g. sparse:0.3) "
                + "or sparse:FRACTION:MAX_ERROR (e.g. sparse:0.3:0.05)");
    }

    private static double number(String text, String part, String what) {
        try {
            return Double.parseDouble(part);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "': " + what + " is not a number");
        }
    }

    /** The attention for one generation over {@code frames} latent frames of {@code perFrame} tokens, or null when dense. */
    public SparseVideoAttention start(int frames, int perFrame) {
        return sparse ? new SparseVideoAttention(text, denseFraction, maxError, frames, perFrame) : null;
    }

    @Override
    public String toString() {
        return text;
    }
}
