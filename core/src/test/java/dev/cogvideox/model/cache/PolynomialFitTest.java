package dev.cogvideox.model.cache;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PolynomialFitTest {
    /** Points on y = 2x^4 - 3x^3 + 0.5x^2 + 7x - 1 are fitted exactly: the coefficients come back, highest power first. */
    @Test
    void pointsOnAPolynomialGiveItsCoefficients() {
        double[] x = {-1, -0.5, 0, 0.25, 0.5, 1, 2};
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            y[i] = 2 * v * v * v * v - 3 * v * v * v + 0.5 * v * v + 7 * v - 1;
        }
        PolynomialFit fit = PolynomialFit.fit(x, y, 4);
        assertThat(fit.coefficients()).containsExactly(new double[]{2, -3, 0.5, 7, -1}, within(1e-9));
        assertThat(fit.rmsError()).isLessThan(1e-12);
        assertThat(fit.rSquared()).isCloseTo(1, within(1e-12));
    }

    /**
     * The least-squares line through (0, 0), (1, 1), (2, 1), worked by hand: the normal equations 5a + 3b = 3 and
     * 3a + 3b = 2 give slope a = 1/2 and intercept b = 1/6; residuals -1/6, 1/3, -1/6, so RMS sqrt(1/18) and
     * R^2 = 1 - (1/6) / (2/3) = 3/4.
     */
    @Test
    void anOverdeterminedLineIsTheLeastSquaresOne() {
        PolynomialFit fit = PolynomialFit.fit(new double[]{0, 1, 2}, new double[]{0, 1, 1}, 1);
        assertThat(fit.coefficients()).containsExactly(new double[]{0.5, 1.0 / 6}, within(1e-12));
        assertThat(fit.rmsError()).isCloseTo(Math.sqrt(1.0 / 18), within(1e-12));
        assertThat(fit.rSquared()).isCloseTo(0.75, within(1e-12));
    }

    /**
     * TeaCache's range: x between 0.04 and 0.4 (powers down to 3e-6), many repeated x with noisy y. The residual of a
     * least-squares fit is orthogonal to every column of the Vandermonde matrix (the normal equations), checked in float64.
     */
    @Test
    void smallInputsWithNoiseSatisfyTheNormalEquations() {
        SplittableRandom random = new SplittableRandom(26);
        int n = 200;
        double[] x = new double[n], y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = 0.04 + 0.36 * (i % 40) / 39.0;
            y[i] = 0.1 + 3 * x[i] * x[i] - 20 * Math.pow(x[i], 4) + 0.02 * (random.nextDouble() - 0.5);
        }
        double[] c = PolynomialFit.fit(x, y, 4).coefficients();
        for (int power = 0; power <= 4; power++) {
            double dot = 0, scale = 0;
            for (int i = 0; i < n; i++) {
                double r = PolynomialFit.evaluate(c, x[i]) - y[i];
                dot += r * Math.pow(x[i], power);
                scale += Math.abs(y[i] * Math.pow(x[i], power));
            }
            assertThat(Math.abs(dot) / scale).as("x^%d", power).isLessThan(1e-10);
        }
        assertThat(c[0]).isCloseTo(-20, within(6.0));     // the noise is small: near the true polynomial
        assertThat(c[2]).isCloseTo(3, within(1.0));
    }

    @Test
    void tooFewDistinctPointsOrBadValuesAreRefused() {
        assertThatThrownBy(() -> PolynomialFit.fit(new double[]{1, 1, 2, 2, 3}, new double[]{1, 2, 3, 4, 5}, 4))
                .hasMessageContaining("at least 5 distinct x values, got 3");
        assertThatThrownBy(() -> PolynomialFit.fit(new double[]{1, 2}, new double[]{1}, 1)).hasMessageContaining("2 x values but 1 y values");
        assertThatThrownBy(() -> PolynomialFit.fit(new double[]{1, Double.NaN, 3}, new double[]{1, 2, 3}, 1)).hasMessageContaining("point 1 is not finite");
    }
}
