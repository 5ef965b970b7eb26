package dev.cogvideox.tensor;

import dev.cogvideox.tensor.DoubleTwins.Dims;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.cogvideox.tensor.GradientCheck.*;

/** GroupNorm's backward (affine; with SiLU; with the SpatialNorm modulation read through nearest index maps). */
class GroupNormBackwardTest {
    private static final float EPS = 1e-6f;

    private static void check(long seed, boolean silu, boolean modulated) {
        SplittableRandom rng = new SplittableRandom(seed);
        Dims d = new Dims(2, 6, 3, 4, 5);
        Dims md = new Dims(2, 6, 2, 2, 3);                                   // the coarse latent grid
        int[] fi = Resample.causalFrameIndex(md.t(), d.t()), ri = Resample.nearestIndex(md.h(), d.h()), ci = Resample.nearestIndex(md.w(), d.w());
        Tensor x = randn(rng, d.n(), d.c(), d.t(), d.h(), d.w());
        Tensor w = randn(rng, d.c()), b = randn(rng, d.c());
        Tensor s = modulated ? randn(rng, md.n(), md.c(), md.t(), md.h(), md.w()) : null;
        Tensor sh = modulated ? randn(rng, md.n(), md.c(), md.t(), md.h(), md.w()) : null;
        GroupNorm.Modulation mod = modulated ? new GroupNorm.Modulation(s, sh, fi, ri, ci) : null;
        double[] xd = toDouble(x), wd = toDouble(w), bd = toDouble(b);
        double[] sd = modulated ? toDouble(s) : null, shd = modulated ? toDouble(sh) : null;
        Tensor out = Tensor.zeros(x.shape());
        GroupNorm.forward(x, 3, w, b, EPS, mod, silu, out);
        assertForward("group norm", out, DoubleTwins.groupNorm(xd, d, 3, wd, bd, EPS, sd, shd, md, fi, ri, ci, silu));

        Tensor p = randn(rng, x.shape());
        GroupNormBackward.Grads g = GroupNormBackward.backward(x, 3, w, b, EPS, mod, silu, p);
        assertGradient("dx", g.dx(), numeric(v -> DoubleTwins.groupNorm(v, d, 3, wd, bd, EPS, sd, shd, md, fi, ri, ci, silu), xd, p));
        assertGradient("dweight", g.dWeight(), numeric(v -> DoubleTwins.groupNorm(xd, d, 3, v, bd, EPS, sd, shd, md, fi, ri, ci, silu), wd, p));
        assertGradient("dbias", g.dBias(), numeric(v -> DoubleTwins.groupNorm(xd, d, 3, wd, v, EPS, sd, shd, md, fi, ri, ci, silu), bd, p));
        if (modulated) {
            assertGradient("dscale", g.dScale(), numeric(v -> DoubleTwins.groupNorm(xd, d, 3, wd, bd, EPS, v, shd, md, fi, ri, ci, silu), sd, p));
            assertGradient("dshift", g.dShift(), numeric(v -> DoubleTwins.groupNorm(xd, d, 3, wd, bd, EPS, sd, v, md, fi, ri, ci, silu), shd, p));
        }
    }

    @Test
    void affine() {
        check(11, false, false);
    }

    @Test
    void affineThenSilu() {
        check(12, true, false);
    }

    @Test
    void spatialModulationThenSilu() {
        check(13, true, true);
    }
}
