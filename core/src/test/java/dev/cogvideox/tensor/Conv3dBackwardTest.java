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

    /** dW by its definition, in double: {@code sum over positions of g[co, pos] * padded input under tap (ci, dt, dh, dw)}. */
    private static double[] weightGradient(Tensor padded, Tensor g, int cin, int cout, int k) {
        Dims in = new Dims(padded.dim(0), cin, padded.dim(2), padded.dim(3), padded.dim(4));
        Dims od = new Dims(g.dim(0), cout, g.dim(2), g.dim(3), g.dim(4));
        int pad = (k - 1) / 2;
        double[] dw = new double[cout * cin * k * k * k];
        for (int co = 0; co < cout; co++) {
            for (int ci = 0; ci < cin; ci++) {
                for (int tap = 0; tap < k * k * k; tap++) {
                    int dt = tap / (k * k), dh = tap / k % k, dx = tap % k;
                    double sum = 0;
                    for (int b = 0; b < od.n(); b++) {
                        for (int t = 0; t < od.t(); t++) {
                            for (int y = 0; y < od.h(); y++) {
                                int yy = y + dh - pad;
                                for (int x = 0; yy >= 0 && yy < in.h() && x < od.w(); x++) {
                                    int xx = x + dx - pad;
                                    if (xx >= 0 && xx < in.w()) {
                                        sum += (double) g.data()[od.at(b, co, t, y, x)] * padded.data()[in.at(b, ci, t + dt, yy, xx)];
                                    }
                                }
                            }
                        }
                    }
                    dw[(co * cin + ci) * k * k * k + tap] = sum;
                }
            }
        }
        return dw;
    }

    @Test
    void weightGradientOverSeveralPanelsInBothOrientations() {
        // enough positions that the gradient sums several unfolded tiles; 2 output channels take the product as
        // [Cout, P] . [K, P]^T, 64 as [K, P] . [Cout, P]^T
        for (int cout : new int[] {2, 64}) {
            SplittableRandom rng = new SplittableRandom(5 + cout);
            int[] wShape = {cout, 2, 3, 3, 3};
            Tensor x = randn(rng, 2, 2, 3, 40, 40), front = randn(rng, 2, 2, 2, 40, 40), p = randn(rng, 2, cout, 3, 40, 40);
            Tensor dw = Conv3dBackward.weight(x, front, p, wShape, Conv3d.Geometry.same(1));
            assertGradient("dweight, " + cout + " outputs", dw, weightGradient(Layout.cat(2, front, x), p, 2, cout, 3));
        }
    }
}
