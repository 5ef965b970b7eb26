package dev.cogvideox.model.schedule;

import dev.cogvideox.tensor.Shapes;
import dev.cogvideox.tensor.Tensor;

import java.math.BigDecimal;

/**
 * Classifier-free guidance as CogVideoXPipeline applies it, with the dynamic guidance scale of
 * {@code use_dynamic_cfg=True}.
 *
 * <p><b>The reference quirk, documented here once.</b> diffusers computes
 * {@code 1 + g * (1 - cos(pi * ((N - t) / N) ** 5)) / 2} with {@code t} the TIMESTEP value (999, 666, ...), not
 * the step index the formula was presumably meant for; reported upstream as diffusers issue #9641. With
 * trailing timesteps {@code (N - t) / N} is a large negative number, so the scale jumps between about 1 and
 * 1 + g instead of ramping up. We match the reference (semantics.md, Pipelines: dynamic CFG); the exact values
 * are in the pipeline cases' {@code guidance_scale_per_step}.
 */
public final class ClassifierFreeGuidance {
    private ClassifierFreeGuidance() {
    }

    /**
     * The guidance scale of the step at {@code timestep}: Python double arithmetic, with {@code x ** 5} rounded
     * once (as glibc's pow) and the cosine from {@link StrictMath}. Pipelines round it to float32 when it
     * multiplies the tensor ({@link #guide}).
     */
    public static double dynamicScale(double guidanceScale, long timestep, int numInferenceSteps) {
        double ratio = (double) (numInferenceSteps - timestep) / numInferenceSteps;
        double pow5 = new BigDecimal(ratio).pow(5).doubleValue();
        return 1 + guidanceScale * ((1 - StrictMath.cos(Math.PI * pow5)) / 2);
    }

    /**
     * {@code uncond + scale * (text - uncond)} in float32, one operation at a time as torch does; {@code scale}
     * is rounded to float32 first.
     */
    public static Tensor guide(Tensor uncond, Tensor text, double scale) {
        if (!uncond.sameShape(text)) {
            throw new IllegalArgumentException("guidance: unconditional " + Shapes.str(uncond.shape())
                    + " and text " + Shapes.str(text.shape()) + " predictions differ in shape");
        }
        float s = (float) scale;
        float[] u = uncond.data(), c = text.data();
        float[] out = new float[u.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = u[i] + s * (c[i] - u[i]);
        }
        return Tensor.of(out, uncond.shape());
    }
}
