package dev.cogvideox.tensor;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link VectorMath}'s SiLU against the definition in double. */
class VectorMathTest {
    @Test
    void siluIsAccurateAndTouchesOnlyItsRange() {
        SplittableRandom rnd = new SplittableRandom(11);
        int n = 1000, from = 3, to = 3 + TileKernel.L * 40 + 7; // a masked tail of 7 lanes
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            // mostly activations of normal size, some far out where e^-x overflows or vanishes
            d[i] = (float) (i % 10 == 0 ? rnd.nextDouble(-200, 200) : rnd.nextGaussian() * 4);
        }
        d[from] = 0f;
        d[from + 1] = -0f;
        d[from + 2] = 1e-30f;
        float[] x = d.clone();
        VectorMath.siluInPlace(d, from, to);
        for (int i = 0; i < n; i++) {
            if (i < from || i >= to) {
                assertThat(d[i]).as("element %d outside the range", i).isEqualTo(x[i]);
                continue;
            }
            double want = x[i] / (1 + Math.exp(-(double) x[i]));
            // exp2's 2 ulp, plus the rounding of x * log2(e) to fp32: up to |x| log2(e) 2^-24 in the exponent, about
            // |x| / 2 ulp of the result; and an absolute 1e-30 where the result is that small (x below about -70)
            double ulps = 4 + Math.abs(x[i]) / 2;
            assertThat((double) d[i]).as("silu(%s)", x[i]).isCloseTo(want, Offset.offset(ulps * Math.ulp((float) want) + 1e-30));
        }
    }
}
