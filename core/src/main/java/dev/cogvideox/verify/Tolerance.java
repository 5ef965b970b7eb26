package dev.cogvideox.verify;

/** The fixtures' rule: an element passes when {@code |actual - expected| <= maxAbs + maxRel * |expected|}. */
public record Tolerance(double maxAbs, double maxRel) {
    public boolean accepts(double actual, double expected) {
        return Math.abs(actual - expected) <= maxAbs + maxRel * Math.abs(expected);
    }
}
