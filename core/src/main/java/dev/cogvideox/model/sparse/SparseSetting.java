package dev.cogvideox.model.sparse;

import java.util.Locale;

/**
 * An attention choice as the command line spells it: {@code dense}, {@code sparse} (Sparse VideoGen with the first
 * 30% of the steps dense) or {@code sparse:FRACTION} (that share of the first steps dense, in [0, 1]).
 */
public record SparseSetting(String text, boolean sparse, double denseFraction) {
    public static final SparseSetting DENSE = new SparseSetting("dense", false, 1);
    /** The share of steps SVG's scripts keep dense by default (their `first_times_fp` 0.075, "30%"). */
    public static final double DEFAULT_DENSE_FRACTION = 0.3;

    public static SparseSetting parse(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        if (s.equals("dense")) {
            return DENSE;
        }
        if (s.equals("sparse")) {
            return new SparseSetting(s, true, DEFAULT_DENSE_FRACTION);
        }
        if (s.startsWith("sparse:")) {
            double f;
            try {
                f = Double.parseDouble(s.substring(7));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "': the share of dense steps is not a number");
            }
            if (!(f >= 0 && f <= 1)) {
                throw new IllegalArgumentException("'" + text + "': the share of dense first steps must be in [0, 1] (0.3 is the default)");
            }
            return new SparseSetting(s, true, f);
        }
        throw new IllegalArgumentException("'" + text + "' is not an attention setting: use dense, sparse or sparse:FRACTION (e.g. sparse:0.3)");
    }

    /** The attention for one generation over {@code frames} latent frames of {@code perFrame} tokens, or null when dense. */
    public SparseVideoAttention start(int frames, int perFrame) {
        return sparse ? new SparseVideoAttention(text, denseFraction, frames, perFrame) : null;
    }

    @Override
    public String toString() {
        return text;
    }
}
