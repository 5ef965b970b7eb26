package dev.cogvideox.tensor;

import dev.cogvideox.tensor.DoubleTwins.Dims;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.cogvideox.tensor.GradientCheck.*;

/** Input (with the leading frames), weight and bias gradients of {@link Conv3d} against central differences in double. */
class Conv3dBackwardTest {

    /** Conv of {@code front ++ x} with weight {@code wShape} (rank 5, or 4 for per-frame 2D), {@code tf} leading frames. */
    private static void check(long seed, int n, int cin, int tf, int t, int h, int w, int[] wShape, Conv3d.Geometry g) {
        SplittableRandom rng = new SplittableRandom(seed);
        int cout = wShape[0], kt = wShape.length == 5 ? wShape[2] : 1, kh = wShape[wShape.length - 2], kw = wShape[wShape.length - 1];
        Tensor x = randn(rng, n, cin, t, h, w);
        Tensor front = tf == 0 ? null : randn(rng, n, cin, tf, h, w);
        Tensor weight = randn(rng, wShape), bias = randn(rng, cout);
        Tensor padded = front == null ? x : Layout.cat(2, front, x); // [N, Cin, tf + t, H, W]
        Dims in = new Dims(n, cin, tf + t, h, w);
        Dims[] od = new Dims[1];
        double[] pd = toDouble(padded), wd = toDouble(weight), bd = toDouble(bias);
        double[] twin = DoubleTwins.conv(pd, in, wd, cout, kt, kh, kw, bd, g, od);
        Tensor out = Conv3d.forward(x, front, Weight.of("w", weight), bias.data(), g);
        assertForward("conv", out, twin);

        Tensor p = randn(rng, out.shape());
        assertGradient("d(front ++ x)", Conv3dBackward.input(p, Weight.of("w", weight), g, tf + t, h, w),
                numeric(v -> DoubleTwins.conv(v, in, wd, cout, kt, kh, kw, bd, g, od), pd, p));
        assertGradient("dweight", Conv3dBackward.weight(x, front, p, wShape, g),
                numeric(v -> DoubleTwins.conv(pd, in, v, cout, kt, kh, kw, bd, g, od), wd, p));
        assertGradient("dbias", Conv3dBackward.bias(p),
                numeric(v -> DoubleTwins.conv(pd, in, wd, cout, kt, kh, kw, v, g, od), bd, p));
    }

    @Test
    void causalThreeByThreeByThreeWithLeadingFrames() {
        check(1, 2, 3, 2, 3, 4, 5, new int[] {4, 3, 3, 3, 3}, Conv3d.Geometry.same(1));
    }

    @Test
    void pointwise() {
        check(2, 1, 3, 0, 2, 3, 4, new int[] {5, 3, 1, 1, 1}, Conv3d.Geometry.same(0));
    }

    @Test
    void downsamplerStrideTwoPaddedRightAndBottom() {
        check(3, 2, 3, 0, 2, 6, 5, new int[] {3, 3, 3, 3}, new Conv3d.Geometry(1, 2, 2, 0, 1, 0, 1));
    }

    @Test
    void upsamplerPerFrameThreeByThree() {
        check(4, 1, 2, 0, 3, 4, 6, new int[] {3, 2, 3, 3}, Conv3d.Geometry.same(1));
    }

    @Test
    void weightGradientSpansSeveralPanels() {
        // enough positions that the weight gradient sums several unfolded tiles: 2 x 3 x 40 x 40 positions, K = 2*27
        SplittableRandom rng = new SplittableRandom(5);
        int[] wShape = {2, 2, 3, 3, 3};
        Tensor x = randn(rng, 2, 2, 3, 40, 40), front = randn(rng, 2, 2, 2, 40, 40), p = randn(rng, 2, 2, 3, 40, 40);
        Tensor dw = Conv3dBackward.weight(x, front, p, wShape, Conv3d.Geometry.same(1));
        Dims in = new Dims(2, 2, 5, 40, 40);
        double[] pd = toDouble(Layout.cat(2, front, x));
        double[] expected = new double[dw.numel()];
        // dW is linear in the output gradient: dW[k] = p . conv(e_k), one exact twin evaluation per weight element
        for (int k = 0; k < expected.length; k++) {
            double[] unit = new double[expected.length];
            unit[k] = 1;
            expected[k] = dot(toDouble(p), DoubleTwins.conv(pd, in, unit, 2, 3, 3, 3, null, Conv3d.Geometry.same(1), new Dims[1]));
        }
        assertGradient("dweight over many tiles", dw, expected);
    }
}
