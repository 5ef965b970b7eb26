package dev.cogvideox.model.sparse;

import dev.cogvideox.model.transformer.StepCache;
import dev.cogvideox.tensor.Attention;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.Tensor;

import java.util.Arrays;

/**
 * Sparse VideoGen's attention (Xi et al., arXiv 2502.01776): at each step and block, every head is classified as
 * spatial (its queries attend mostly to their own frame) or temporal (mostly to the same position in the other
 * frames) by "online profiling": a few sampled video query rows get their exact attention output and the outputs
 * under the two masks, and the mask with the smaller squared error wins. The head then attends only the text keys
 * and the keys of its mask, which {@link Attention.KeySelection} turns into skipped key blocks. Text queries stay
 * dense, and so do the first {@code denseFraction} of the steps (SVG keeps the early, layout-forming steps dense).
 * With a {@code maxError} below infinity, a head whose better mask still misses the sampled rows' exact outputs by
 * more than that (squared error relative to the outputs' squared norm) stays dense at that step: a small model's heads
 * that attend across frames and positions at once keep their keys (SVG always picks one of the two masks).
 *
 * <p>Masks are per query task (the kernel's groups of up to 64 queries), not per query: a task's queries attend the
 * union of their frames (spatial) or of their positions in every frame (temporal), the block granularity SVG's
 * kernels also work at. Tokens are [text; video] with the video frame-major, {@code perFrame} tokens a frame.
 */
public final class SparseVideoAttention implements StepCache {
    /** Query rows sampled per head to classify it (SVG's scripts use 64; 32 keep the profiling under 1% here). */
    static final int SAMPLED_ROWS = 32;

    /** What a head attends at a sparse step. */
    enum Mask { SPATIAL, TEMPORAL, DENSE }

    private final String setting;
    private final double denseFraction, maxError;
    private final int frames, perFrame;
    private boolean sparseStep;
    private final long[] counts = new long[Mask.values().length];

    /**
     * @param denseFraction share of the first steps kept dense, in [0, 1]
     * @param maxError      largest relative squared error of the better mask at which a head goes sparse (infinity:
     *                      every head does, as in SVG)
     * @param frames        latent frames the transformer sees (after the 1.5 models' temporal patching)
     * @param perFrame      video tokens a frame
     */
    public SparseVideoAttention(String setting, double denseFraction, double maxError, int frames, int perFrame) {
        if (!(denseFraction >= 0 && denseFraction <= 1)) {
            throw new IllegalArgumentException("the share of dense steps must be in [0, 1], got " + denseFraction);
        }
        if (!(maxError > 0)) {
            throw new IllegalArgumentException("the largest error of a sparse head must be positive, got " + maxError);
        }
        this.setting = setting;
        this.denseFraction = denseFraction;
        this.maxError = maxError;
        this.frames = frames;
        this.perFrame = perFrame;
    }

    /** Every head sparse after the first {@code denseFraction} of the steps (SVG's rule). */
    public SparseVideoAttention(String setting, double denseFraction, int frames, int perFrame) {
        this(setting, denseFraction, Double.POSITIVE_INFINITY, frames, perFrame);
    }

    @Override
    public void beginStep(int index, long timestep, int steps) {
        sparseStep = index >= Math.ceil(denseFraction * steps);
    }

    @Override
    public Attention.KeySelection attentionKeys(Kernels kernels, int block, Tensor q, Tensor k, Tensor v, int heads, int textLen) {
        if (!sparseStep || frames < 2) {
            return null;
        }
        Mask[] masks = classify(kernels, q, k, v, heads, textLen);
        boolean anySparse = false;
        for (Mask m : masks) {
            counts[m.ordinal()]++;
            anySparse |= m != Mask.DENSE;
        }
        if (!anySparse) {
            return null;
        }
        return (h, i0, n) -> i0 < textLen ? null : switch (masks[h]) {
            case SPATIAL -> spatialRanges(textLen, i0, n);
            case TEMPORAL -> temporalRanges(textLen, i0, n);
            case DENSE -> null;
        };
    }

    /** Head passes classified so far: {spatial, temporal, kept dense}. */
    public long[] headCounts() {
        return counts.clone();
    }

    public String describe() {
        return "attention " + setting + ": " + counts[0] + " spatial and " + counts[1] + " temporal head passes"
                + (maxError < Double.POSITIVE_INFINITY ? ", " + counts[2] + " kept dense (neither mask within " + maxError + ")" : "")
                + " after the first " + Math.round(denseFraction * 100) + "% of the steps (dense)";
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
     * Per head, the mask that reproduces the sampled rows' exact attention better (summed squared error over the
     * head's outputs; batch 0, evenly spaced video rows), or dense when even that one's error relative to the exact
     * outputs' squared norm exceeds {@code maxError}.
     */
    Mask[] classify(Kernels kernels, Tensor q, Tensor k, Tensor v, int heads, int textLen) {
        int l = q.dim(1), width = q.dim(2), d = width / heads;
        float scale = (float) (1.0 / Math.sqrt(d));
        int video = l - textLen;
        int rows = Math.min(SAMPLED_ROWS, video);
        int[] sampled = new int[rows];
        float[] qs = new float[rows * width];
        for (int r = 0; r < rows; r++) {
            sampled[r] = textLen + (int) ((long) r * video / rows);
            System.arraycopy(q.data(), sampled[r] * width, qs, r * width, width);
        }
        // the exact outputs of the sampled rows, by the attention kernel over every key (batch 0)
        Tensor k0 = Layout.narrow(k, 0, 0, 1), v0 = Layout.narrow(v, 0, 0, 1);
        float[] exact = kernels.attend(Tensor.of(qs, 1, rows, width), k0, v0, heads, scale, null, null).data();
        float[] kd = k.data(), vd = v.data();
        Mask[] masks = new Mask[heads];
        Parallel.forRange(heads, 1, (h0, h1) -> {
            for (int h = h0; h < h1; h++) {
                double errSpatial = 0, errTemporal = 0, norm = 0;
                for (int r = 0; r < rows; r++) {
                    int frame = (sampled[r] - textLen) / perFrame, pos = (sampled[r] - textLen) % perFrame;
                    int col = h * d, qi = r * width + col;
                    // text + own frame, text + own position: softmax over those keys only
                    double[] spatial = masked(qs, qi, kd, vd, width, col, d, scale, textLen, textLen + frame * perFrame,
                            textLen + (frame + 1) * perFrame, 1);
                    double[] temporalOut = masked(qs, qi, kd, vd, width, col, d, scale, textLen, textLen + pos, l, perFrame);
                    for (int e = 0; e < d; e++) {
                        errSpatial += sq(spatial[e] - exact[qi + e]);
                        errTemporal += sq(temporalOut[e] - exact[qi + e]);
                        norm += sq(exact[qi + e]);
                    }
                }
                double best = Math.min(errSpatial, errTemporal);
                masks[h] = best > maxError * norm ? Mask.DENSE : errTemporal < errSpatial ? Mask.TEMPORAL : Mask.SPATIAL;
            }
        });
        return masks;
    }

    /** Attention of query {@code qs[qi..]} over the text keys and keys {@code from, from + stride, ... < to}. */
    private static double[] masked(float[] qs, int qi, float[] kd, float[] vd, int width, int col, int d, float scale, int textLen,
                                   int from, int to, int stride) {
        int n = textLen + (to - from + stride - 1) / stride;
        int[] keys = new int[n];
        for (int j = 0; j < textLen; j++) {
            keys[j] = j;
        }
        for (int j = from, at = textLen; j < to; j += stride) {
            keys[at++] = j;
        }
        double[] scores = new double[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int a = 0; a < n; a++) {
            int base = keys[a] * width + col;
            double dot = 0;
            for (int e = 0; e < d; e++) {
                dot += qs[qi + e] * kd[base + e];
            }
            scores[a] = dot * scale;
            max = Math.max(max, scores[a]);
        }
        double[] out = new double[d];
        double z = 0;
        for (int a = 0; a < n; a++) {
            double p = Math.exp(scores[a] - max);
            z += p;
            int base = keys[a] * width + col;
            for (int e = 0; e < d; e++) {
                out[e] += p * vd[base + e];
            }
        }
        for (int e = 0; e < d; e++) {
            out[e] /= z;
        }
        return out;
    }

    private static double sq(double x) {
        return x * x;
    }

    @Override
    public String toString() {
        return setting + " " + Arrays.toString(headCounts());
    }
}
