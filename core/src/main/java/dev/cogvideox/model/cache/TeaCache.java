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
 * poly the rescaling polynomial ({@link TeaCacheCoefficients}: the published one of the model's variant, or one fitted to
 * the model by {@code cache calibrate}). While the accumulator stays under the threshold, the whole block stack
 * is skipped and the stream gets the residual (output - input) of the last step that ran; otherwise the blocks run
 * and the accumulator restarts at 0. The first step (or the first {@link TeaCacheCoefficients#retentionSteps}) and the
 * last step always run. A threshold of 0 runs every step (the
 * reference would skip where the polynomial is negative, which it is near 0 for some models: its constant term).
 */
public final class TeaCache extends CachingStep {
    /** The highest threshold taken: the published settings are 0.1 to 0.3. */
    public static final double MAX_THRESHOLD = 1.0;

    private final double threshold;
    private final TeaCacheCoefficients coefficients;
    private double accumulated;
    private float[] previousEmbedding;
    private Tensor input;
    private float[] residual;
    private int residualStep = -1;
    /** Per step, the time embedding's relative L1 change from the previous step and the residual's (NaN: not measured). */
    private double[] inputChange = new double[0], residualChange = new double[0];

    /** With the published polynomial of {@code cfg}'s variant. */
    public TeaCache(String setting, double threshold, CogVideoXTransformerConfig cfg) {
        this(setting, threshold, cfg, TeaCacheCoefficients.published(cfg.variant()));
    }

    public TeaCache(String setting, double threshold, CogVideoXTransformerConfig cfg, TeaCacheCoefficients coefficients) {
        super(setting, cfg.numLayers());
        if (!(threshold >= 0 && threshold <= MAX_THRESHOLD)) {
            throw new IllegalArgumentException("the TeaCache threshold must be in [0, " + MAX_THRESHOLD + "] (0.1 to 0.3 are the published settings), got " + threshold);
        }
        this.threshold = threshold;
        this.coefficients = coefficients;
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
    public void beginStep(int index, long timestep, int steps) {
        super.beginStep(index, timestep, steps);
        if (inputChange.length < steps) {
            int from = inputChange.length;
            inputChange = java.util.Arrays.copyOf(inputChange, steps);
            residualChange = java.util.Arrays.copyOf(residualChange, steps);
            java.util.Arrays.fill(inputChange, from, steps, Double.NaN);
            java.util.Arrays.fill(residualChange, from, steps, Double.NaN);
        }
    }

    @Override
    public boolean runBlocks(Tensor temb, Tensor stream) {
        boolean calc;
        double change = previousEmbedding == null ? Double.NaN : relativeL1(temb.data(), previousEmbedding);
        inputChange[step] = change;
        if (step < coefficients.retentionSteps() || step == steps - 1 || previousEmbedding == null || residual == null) {
            calc = true;
            accumulated = 0;
        } else {
            accumulated += coefficients.rescale(change);
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
        if (residual != null && residualStep == step - 1) {
            residualChange[step] = relativeL1(r, residual);
        }
        residual = r;
        residualStep = step;
        input = null;
    }

    @Override
    String coefficientsUsed() {
        return coefficients.describe();
    }

    @Override
    CacheReport.Trace trace() {
        return new CacheReport.Trace(java.util.Arrays.copyOf(inputChange, steps), java.util.Arrays.copyOf(residualChange, steps));
    }
}
