package dev.cogvideox.model.sparse;

import dev.cogvideox.model.transformer.StepCache;
import dev.cogvideox.tensor.Attention;
import dev.cogvideox.tensor.Tensor;

import java.util.Arrays;

/**
 * Sparse VideoGen's attention (Xi et al., arXiv 2502.01776): at each step and block, every head is classified as
 * spatial (its queries attend mostly to their own frame) or temporal (mostly to the same position in the other
 * frames) by "online profiling": a few sampled video query rows get their exact attention output and the outputs
 * under the two masks, and the mask with the smaller squared error wins. The head then attends only the text keys
 * and the keys of its mask, which {@link Attention.KeySelection} turns into skipped key blocks. Text queries stay
 * dense, and so do the first {@code denseFraction} of the steps (SVG keeps the early, layout-forming steps dense).
 *
 * <p>Masks are per query task (the kernel's groups of up to 64 queries), not per query: a task's queries attend the
 * union of their frames (spatial) or of their positions in every frame (temporal), the block granularity SVG's
 * kernels also work at. Tokens are [text; video] with the video frame-major, {@code perFrame} tokens a frame.
 */
public final class SparseVideoAttention implements StepCache {
    /** Query rows sampled per head to classify it (SVG's scripts use 64; 32 keep the profiling under 1% here). */
    static final int SAMPLED_ROWS = 32;

    private final String setting;
    private final double denseFraction;
    private final int frames, perFrame;
    private boolean sparseStep;
    private long spatialHeads, temporalHeads;

    /**
     * @param denseFraction share of the first steps kept dense, in [0, 1]
     * @param frames        latent frames the transformer sees (after the 1.5 models' temporal patching)
     * @param perFrame      video tokens a frame
     */
    public SparseVideoAttention(String setting, double denseFraction, int frames, int perFrame) {
        if (!(denseFraction >= 0 && denseFraction <= 1)) {
            throw new IllegalArgumentException("the share of dense steps must be in [0, 1], got " + denseFraction);
        }
        this.setting = setting;
        this.denseFraction = denseFraction;
        this.frames = frames;
        this.perFrame = perFrame;
    }

    @Override
    public void beginStep(int index, long timestep, int steps) {
        sparseStep = index >= Math.ceil(denseFraction * steps);
    }

    @Override
    public Attention.KeySelection attentionKeys(int block, Tensor q, Tensor k, Tensor v, int heads, int textLen) {
        if (!sparseStep || frames < 2) {
            return null;
        }
        boolean[] temporal = classify(q, k, v, heads, textLen);
        for (boolean t : temporal) {
            if (t) {
                temporalHeads++;
            } else {
                spatialHeads++;
            }
        }
        return (h, i0, n) -> i0 < textLen ? null : temporal[h] ? temporalRanges(textLen, i0, n) : spatialRanges(textLen, i0, n);
    }

    /** Heads classified so far: {spatial, temporal}. */
    public long[] headCounts() {
        return new long[]{spatialHeads, temporalHeads};
    }

    public String describe() {
        return "attention " + setting + ": " + spatialHeads + " spatial and " + temporalHeads + " temporal head passes after the first "
                + Math.round(denseFraction * 100) + "% of the steps (dense)";
    }

    /** Text keys, and the frames of queries {@code [i0, i0 + n)}. */
    int[] spatialRanges(int textLen, int i0, int n) {
        int f0 = (i0 - textLen) / perFrame, f1 = (i0 + n - 1 - textLen) / perFrame;
        return new int[]{0, textLen, textLen + f0 * perFrame, textLen + (f1 + 1) * perFrame};
    }

    /** Text keys, and in every frame the positions of queries {@code [i0, i0 + n)}. */
    int[] temporalRanges(int textLen, int i0, int n) {
        if (n >= perFrame) {
            return null;
        }
        int p0 = (i0 - textLen) % perFrame, p1 = (i0 + n - 1 - textLen) % perFrame;
        int[] r = new int[2 + frames * (p0 <= p1 ? 2 : 4)];
        r[1] = textLen;
        int at = 2;
        for (int f = 0; f < frames; f++) {
            int base = textLen + f * perFrame;
            if (p0 <= p1) {
                r[at++] = base + p0;
                r[at++] = base + p1 + 1;
            } else {                                            // the task wraps into the next frame
                r[at++] = base;
                r[at++] = base + p1 + 1;
                r[at++] = base + p0;
                r[at++] = base + perFrame;
            }
        }
        return r;
    }

    /**
     * Per head, whether the temporal mask reproduces the sampled rows' exact attention better than the spatial one
     * (summed squared error over the head's outputs; batch 0, evenly spaced video rows).
     */
    boolean[] classify(Tensor q, Tensor k, Tensor v, int heads, int textLen) {
        int l = q.dim(1), width = q.dim(2), d = width / heads;
        float scale = (float) (1.0 / Math.sqrt(d));
        int video = l - textLen;
        int rows = Math.min(SAMPLED_ROWS, video);
        float[] qd = q.data(), kd = k.data(), vd = v.data();
        boolean[] temporal = new boolean[heads];
        double[] scores = new double[l];
        for (int h = 0; h < heads; h++) {
            double errSpatial = 0, errTemporal = 0;
            for (int r = 0; r < rows; r++) {
                int i = textLen + (int) ((long) r * video / rows);
                int frame = (i - textLen) / perFrame, pos = (i - textLen) % perFrame;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < l; j++) {
                    double sdot = 0;
                    for (int e = 0; e < d; e++) {
                        sdot += qd[i * width + h * d + e] * kd[j * width + h * d + e];
                    }
                    scores[j] = sdot * scale;
                    max = Math.max(max, scores[j]);
                }
                double[] full = new double[d], spatial = new double[d], temporalOut = new double[d];
                double zFull = 0, zSpatial = 0, zTemporal = 0;
                for (int j = 0; j < l; j++) {
                    double p = Math.exp(scores[j] - max);
                    boolean text = j < textLen;
                    boolean sameFrame = !text && (j - textLen) / perFrame == frame;
                    boolean samePos = !text && (j - textLen) % perFrame == pos;
                    zFull += p;
                    if (text || sameFrame) {
                        zSpatial += p;
                    }
                    if (text || samePos) {
                        zTemporal += p;
                    }
                    for (int e = 0; e < d; e++) {
                        double pv = p * vd[j * width + h * d + e];
                        full[e] += pv;
                        if (text || sameFrame) {
                            spatial[e] += pv;
                        }
                        if (text || samePos) {
                            temporalOut[e] += pv;
                        }
                    }
                }
                for (int e = 0; e < d; e++) {
                    double exact = full[e] / zFull;
                    errSpatial += sq(spatial[e] / zSpatial - exact);
                    errTemporal += sq(temporalOut[e] / zTemporal - exact);
                }
            }
            temporal[h] = errTemporal < errSpatial;
        }
        return temporal;
    }

    private static double sq(double x) {
        return x * x;
    }

    @Override
    public String toString() {
        return setting + " " + Arrays.toString(headCounts());
    }
}
