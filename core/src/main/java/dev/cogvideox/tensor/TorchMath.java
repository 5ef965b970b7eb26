package dev.cogvideox.tensor;

/**
 * Scalar functions computed the way torch's CPU kernels compute them, where the last bit matters.
 */
public final class TorchMath {
    private static final float R_LN2 = 1.442695040888963407359924681001892137426645954152985934135449406931f;
    private static final float L2U = 0.693145751953125f;
    private static final float L2L = 1.428606765330187045e-06f;

    private TorchMath() {
    }

    /**
     * {@code torch.exp} on a float32 tensor: SLEEF's vectorised {@code expf_u10} with FMA (what
     * {@code Vectorized<float>::exp} calls). It differs from the correctly rounded exp by one ulp on about one
     * value in ten, which moves the timestep embedding of t = 999 by 3e-5, beyond the golden tolerance.
     */
    public static float expf(float d) {
        int q = (int) Math.rint(d * R_LN2);
        float s = Math.fma(q, -L2U, d);
        s = Math.fma(q, -L2L, s);
        float u = 0.000198527617612853646278381f;
        u = Math.fma(u, s, 0.00139304355252534151077271f);
        u = Math.fma(u, s, 0.00833336077630519866943359f);
        u = Math.fma(u, s, 0.0416664853692054748535156f);
        u = Math.fma(u, s, 0.166666671633720397949219f);
        u = Math.fma(u, s, 0.5f);
        u = 1f + Math.fma(s * s, u, s);
        u = Math.scalb(u, q);
        if (d < -104f) {
            return 0f;
        }
        return d > 100f ? Float.POSITIVE_INFINITY : u;
    }
}
