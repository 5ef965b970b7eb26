package dev.cogvideox.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Multi-head attention {@code softmax(scale · Q K^T + bias) V} with an online softmax: one query row at a
 * time, so the L x L score matrix is never materialised.
 *
 * <p>Layout: q {@code [B, Lq, H*D]}, k and v {@code [B, Lk, H*D]} (head h owns columns {@code h*D..h*D+D}),
 * output {@code [B, Lq, H*D]}: the layout the projections produce, so no transpose is needed.
 */
public final class Attention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Attention() {
    }

    /**
     * @param bias optional additive bias {@code [H, Lq, Lk]} (T5's relative position bias), or null
     */
    public static Tensor attend(Tensor q, Tensor k, Tensor v, int heads, float scale, Tensor bias) {
        int b = q.dim(0), lq = q.dim(1), width = q.dim(2);
        int lk = k.dim(1);
        if (width % heads != 0 || k.dim(2) != width || v.dim(2) != width || k.dim(0) != b || v.dim(0) != b || v.dim(1) != lk) {
            throw new IllegalArgumentException("attention: q " + q + ", k " + k + ", v " + v + " with " + heads + " heads do not agree");
        }
        if (bias != null) {
            bias.requireShape("attention bias", heads, lq, lk);
        }
        int d = width / heads;
        Tensor out = Tensor.zeros(b, lq, width);
        float[] qd = q.data(), kd = k.data(), vd = v.data(), od = out.data();
        float[] bd = bias == null ? null : bias.data();
        Parallel.forRange(b * heads * lq, 16, (from, to) -> {
            float[] scores = new float[lk];
            float[] acc = new float[d];
            for (int idx = from; idx < to; idx++) {
                int i = idx % lq;
                int h = (idx / lq) % heads;
                int bb = idx / (lq * heads);
                int qOff = (bb * lq + i) * width + h * d;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < lk; j++) {
                    float s = scale * MatMul.dot(qd, qOff, kd, (bb * lk + j) * width + h * d, d);
                    if (bd != null) {
                        s += bd[(h * lq + i) * lk + j];
                    }
                    scores[j] = s;
                    max = Math.max(max, s);
                }
                java.util.Arrays.fill(acc, 0f);
                float sum = 0f;
                for (int j = 0; j < lk; j++) {
                    float p = (float) Math.exp(scores[j] - max);
                    sum += p;
                    axpy(p, vd, (bb * lk + j) * width + h * d, acc, d);
                }
                float inv = 1f / sum;
                int oOff = (bb * lq + i) * width + h * d;
                for (int t = 0; t < d; t++) {
                    od[oOff + t] = acc[t] * inv;
                }
            }
        });
        return out;
    }

    /** {@code acc[0..d) += p * x[off..off+d)}. */
    private static void axpy(float p, float[] x, int off, float[] acc, int d) {
        int t = 0;
        int bound = S.loopBound(d);
        FloatVector pv = FloatVector.broadcast(S, p);
        for (; t < bound; t += S.length()) {
            FloatVector.fromArray(S, x, off + t).fma(pv, FloatVector.fromArray(S, acc, t)).intoArray(acc, t);
        }
        for (; t < d; t++) {
            acc[t] += p * x[off + t];
        }
    }
}
