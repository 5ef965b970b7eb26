package dev.cogvideox.tensor;

import dev.cogvideox.tensor.DoubleTwins.Dims;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.cogvideox.tensor.GradientCheck.*;

/** The adjoints of the nearest gathers (with the causal frame rule) and of the temporal average pooling. */
class ResampleBackwardTest {

    @Test
    void causalNearestUpsampling() {
        SplittableRandom rng = new SplittableRandom(21);
        Dims d = new Dims(2, 2, 3, 2, 3);
        int[] fi = Resample.causalFrameIndex(3, 5), ri = Resample.nearestIndex(2, 4), ci = Resample.nearestIndex(3, 5);
        Tensor x = randn(rng, 2, 2, 3, 2, 3);
        double[] xd = toDouble(x);
        Tensor y = Resample.gather(x, fi, ri, ci);
        assertForward("gather", y, DoubleTwins.gather(xd, d, fi, ri, ci));
        Tensor p = randn(rng, y.shape());
        assertGradient("dx", ResampleBackward.gather(p, fi, ri, ci, 3, 2, 3), numeric(v -> DoubleTwins.gather(v, d, fi, ri, ci), xd, p));
    }

    @Test
    void temporalAveragePoolingOddAndEven() {
        for (int t : new int[] {5, 4, 1}) {
            SplittableRandom rng = new SplittableRandom(22 + t);
            Dims d = new Dims(1, 3, t, 2, 2);
            Tensor x = randn(rng, 1, 3, t, 2, 2);
            double[] xd = toDouble(x);
            Tensor y = Resample.temporalAvgPool(x);
            assertForward("pool", y, DoubleTwins.temporalAvgPool(xd, d));
            Tensor p = randn(rng, y.shape());
            assertGradient("dx of " + t + " frames", ResampleBackward.temporalAvgPool(p, t), numeric(v -> DoubleTwins.temporalAvgPool(v, d), xd, p));
        }
    }
}
