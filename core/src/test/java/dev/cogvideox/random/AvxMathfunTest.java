package dev.cogvideox.random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The avx_mathfun ports are approximations: they must stay within a few float ulps of the exact functions. */
class AvxMathfunTest {
    @Test
    void logIsAccurateOnTheBoxMullerDomain() {
        // torch feeds 1 - u, u a 24-bit uniform in [0, 1): arguments k / 2^24 for k in 1..2^24
        for (int k = 1; k <= 1 << 24; k += 997) {
            float u = k * 0x1.0p-24f;
            double exact = Math.log(u);
            assertThat((double) AvxMathfun.log(u)).as("log(%s)", u).isCloseTo(exact, org.assertj.core.data.Offset.offset(
                    Math.max(4 * Math.ulp((float) exact), 1e-7)));
        }
        assertThat(AvxMathfun.log(1f)).isZero();
    }

    @Test
    void sinAndCosAreAccurateOnOneTurn() {
        float[] sc = new float[2];
        float twoPi = (float) (2 * Math.PI);
        for (int k = 0; k < 1 << 24; k += 1009) {
            float theta = twoPi * (k * 0x1.0p-24f);
            AvxMathfun.sincos(theta, sc, 0, 1);
            assertThat((double) sc[0]).as("sin(%s)", theta).isCloseTo(Math.sin(theta), org.assertj.core.data.Offset.offset(2e-7));
            assertThat((double) sc[1]).as("cos(%s)", theta).isCloseTo(Math.cos(theta), org.assertj.core.data.Offset.offset(2e-7));
        }
    }
}
