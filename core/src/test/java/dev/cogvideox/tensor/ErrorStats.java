package dev.cogvideox.tensor;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How far {@code actual} is from {@code expected}: the root-mean-square error relative to the expected values' root
 * mean square, and the largest absolute difference. For tests that bound an approximation (bf16, quantized weights)
 * by its arithmetic rather than by the golden cases' fp32 tolerances.
 */
public record ErrorStats(double rmsRelative, double worstAbs) {
    public static ErrorStats of(float[] expected, float[] actual) {
        assertThat(actual).hasSameSizeAs(expected);
        double err = 0, ref = 0, worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = (double) actual[i] - expected[i];
            err += d * d;
            ref += (double) expected[i] * expected[i];
            worst = Math.max(worst, Math.abs(d));
        }
        // all-zero expected values: any error is infinitely large relative to them
        return new ErrorStats(ref > 0 ? Math.sqrt(err / ref) : err == 0 ? 0 : Double.POSITIVE_INFINITY, worst);
    }

    /** As {@link #of(float[], float[])}, after checking that the shapes agree. */
    public static ErrorStats of(Tensor expected, Tensor actual) {
        assertThat(actual.shape()).containsExactly(expected.shape());
        return of(expected.data(), actual.data());
    }
}
