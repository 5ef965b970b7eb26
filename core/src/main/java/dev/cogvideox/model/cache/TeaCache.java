package dev.cogvideox.model.cache;

import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.tensor.Tensor;

/**
 * TeaCache (Liu et al., "Timestep Embedding Tells: It's Time to Cache for Video Diffusion Model", arXiv 2411.19108)
 * as its CogVideoX port does it: ali-vilab/TeaCache, {@code TeaCache4CogVideoX1.5/teacache_sample_video.py} at
 * commit 7c10efc4702c6b619f47805f7abe4a7a08085aa0 ({@code teacache_forward}, {@code coefficients_dict}).
 *
 * <p>Each step adds {@code poly(|e_t - e_prev|_1 / |e_prev|_1)} (means of absolute values) to an accumulator, where
 * e is the transformer's time embedding ({@code emb}, the input of every block's AdaLN modulation: that port
 * measures the embedding rather than the first block's modulated tokens, and its polynomial was fitted to it) and
 * poly the published per-model polynomial. While the accumulator stays under the threshold, the whole block stack
 * is skipped and the stream gets the residual (output - input) of the last step that ran; otherwise the blocks run
 * and the accumulator restarts at 0. The first and the last step always run. A threshold of 0 runs every step (the
 * reference would skip where the polynomial is negative, which it is near 0 for some models: its constant term).
 */
public final class TeaCache extends CachingStep {
    /** The published rescaling polynomials, highest power first (np.poly1d order). */
    private static final double[] COEFFICIENTS_2B = {-3.10658903e+01, 2.54732368e+01, -5.92380459e+00, 1.75769064e+00, -3.61568434e-03};
    private static final double[] COEFFICIENTS_5B = {-1.53880483e+03, 8.43202495e+02, -1.34363087e+02, 7.97131516e+00, -5.23162339e-02};
    private static final double[] COEFFICIENTS_15 = {2.50210439e+02, -1.65061612e+02, 3.57804877e+01, -7.81551492e-01, 3.58559703e-02};
    private static final double[] COEFFICIENTS_15_I2V = {1.22842302e+02, -1.04088754e+02, 2.62981677e+01, -3.06009921e-01, 3.71213220e-02};

    /** The highest threshold taken: the published settings are 0.1 to 0.3. */
    public static final double MAX_THRESHOLD = 1.0;

    private final double threshold;
    private final double[] coefficients;
    private double accumulated;
    private float[] previousEmbedding;
    private Tensor input;
    private float[] residual;

    public TeaCache(String setting, double threshold, CogVideoXTransformerConfig cfg) {
        super(setting, cfg.numLayers());
        if (!(threshold >= 0 && threshold <= MAX_THRESHOLD)) {
            throw new IllegalArgumentException("the TeaCache threshold must be in [0, " + MAX_THRESHOLD + "] (0.1 to 0.3 are the published settings), got " + threshold);
        }
        this.threshold = threshold;
        this.coefficients = coefficients(cfg.variant());
    }

    /** The polynomial of {@code coefficients_dict} for a model variant (the 5b-I2V shares the 5b's). */
    static double[] coefficients(String variant) {
        return switch (variant) {
            case "2b" -> COEFFICIENTS_2B;
            case "5b", "5b-i2v" -> COEFFICIENTS_5B;
            case "1.5-5b" -> COEFFICIENTS_15;
            case "1.5-5b-i2v" -> COEFFICIENTS_15_I2V;
            default -> throw new IllegalArgumentException("TeaCache has no published coefficients for the " + variant + " model");
        };
    }

    /** {@code np.poly1d(c)(x)}: Horner, highest power first. */
    static double rescale(double[] c, double x) {
        double y = 0;
        for (double v : c) {
            y = y * x + v;
        }
        return y;
    }

    /** {@code mean|a - b| / mean|b|} in float64. */
    static double relativeL1(float[] a, float[] b) {
        double diff = 0, base = 0;
        for (int i = 0; i < a.length; i++) {
            diff += Math.abs((double) a[i] - b[i]);
            base += Math.abs((double) b[i]);
        }
        return diff / base;
    }

    @Override
    public boolean runBlocks(Tensor temb, Tensor stream) {
        boolean calc;
        if (step == 0 || step == steps - 1 || previousEmbedding == null || residual == null) {
            calc = true;
            accumulated = 0;
        } else {
            accumulated += rescale(coefficients, relativeL1(temb.data(), previousEmbedding));
            calc = !(threshold > 0 && accumulated < threshold);
            if (calc) {
                accumulated = 0;
            }
        }
        previousEmbedding = temb.data().clone();
        if (!calc) {
            float[] x = stream.data();
            for (int i = 0; i < x.length; i++) {
                x[i] += residual[i];
            }
            return false;
        }
        blocksRun();
        input = stream.copy();
        return true;
    }

    @Override
    public void blocksDone(Tensor stream) {
        float[] out = stream.data(), in = input.data();
        float[] r = new float[out.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = out[i] - in[i];
        }
        residual = r;
        input = null;
    }
}
