package dev.cogvideox.train.grad;

import dev.cogvideox.tensor.MatMul;
import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Backward of {@link dev.cogvideox.tensor.Attention#attend} (no bias), flash-attention style: the probabilities
 * are recomputed from q and k one row at a time, never as an L x L matrix. With {@code s_ij = scale q_i . k_j},
 * {@code p_ij = exp(s_ij - lse_i)} and {@code D_i = dO_i . O_i}:
 * <pre>
 *   dv_j = sum_i p_ij dO_i
 *   ds_ij = p_ij (dO_i . v_j - D_i)
 *   dq_i = scale sum_j ds_ij k_j,   dk_j = scale sum_i ds_ij q_i
 * </pre>
 * Pass 1 walks query rows (lse, D, dq), pass 2 walks key rows (dk, dv), so every output row is owned by one task
 * and the result does not depend on the thread count. Layout as the forward: {@code [B, L, H*D]}.
 */
public final class AttentionGrad {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private AttentionGrad() {
    }

    /** Gradients of q, k and v, each shaped like its input. */
    public record Grads(Tensor dq, Tensor dk, Tensor dv) {
    }

    /**
     * @param o  the forward output {@code [B, Lq, H*D]}
     * @param dO the gradient of the output, same shape
     */
    public static Grads backward(Tensor q, Tensor k, Tensor v, Tensor o, Tensor dO, int heads, float scale) {
        int b = q.dim(0), lq = q.dim(1), width = q.dim(2), lk = k.dim(1);
        if (width % heads != 0 || !k.sameShape(v) || k.dim(0) != b || k.dim(2) != width || !o.sameShape(q) || !dO.sameShape(q)) {
            throw new IllegalArgumentException("attention backward: q " + q + ", k " + k + ", v " + v + ", out " + o + ", grad " + dO
                    + " with " + heads + " heads do not agree");
        }
        int d = width / heads;
        float[] qd = q.data(), kd = k.data(), vd = v.data(), od = o.data(), gd = dO.data();
        double[] lse = new double[b * heads * lq];
        float[] delta = new float[b * heads * lq];
        Tensor dq = Tensor.zeros(q.shape()), dk = Tensor.zeros(k.shape()), dv = Tensor.zeros(v.shape());
        float[] dqd = dq.data(), dkd = dk.data(), dvd = dv.data();

        // 1. query rows: lse_i, D_i and dq_i
        Parallel.forRange(b * heads * lq, 16, (from, to) -> {
            float[] scores = new float[lk];
            for (int idx = from; idx < to; idx++) {
                int i = idx % lq, h = (idx / lq) % heads, bb = idx / (lq * heads);
                int qOff = (bb * lq + i) * width + h * d;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < lk; j++) {
                    scores[j] = scale * MatMul.dot(qd, qOff, kd, (bb * lk + j) * width + h * d, d);
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < lk; j++) {
                    sum += Math.exp(scores[j] - max);
                }
                double l = max + Math.log(sum);
                float di = MatMul.dot(gd, qOff, od, qOff, d);
                lse[idx] = l;
                delta[idx] = di;
                for (int j = 0; j < lk; j++) {
                    int kvOff = (bb * lk + j) * width + h * d;
                    float p = (float) Math.exp(scores[j] - l);
                    float ds = p * (MatMul.dot(gd, qOff, vd, kvOff, d) - di);
                    axpy(scale * ds, kd, kvOff, dqd, qOff, d);
                }
            }
        });

        // 2. key rows: dk_j and dv_j
        Parallel.forRange(b * heads * lk, 16, (from, to) -> {
            for (int idx = from; idx < to; idx++) {
                int j = idx % lk, h = (idx / lk) % heads, bb = idx / (lk * heads);
                int kvOff = (bb * lk + j) * width + h * d;
                for (int i = 0; i < lq; i++) {
                    int qOff = (bb * lq + i) * width + h * d;
                    int row = (bb * heads + h) * lq + i;
                    float s = scale * MatMul.dot(qd, qOff, kd, kvOff, d);
                    float p = (float) Math.exp(s - lse[row]);
                    axpy(p, gd, qOff, dvd, kvOff, d);
                    float ds = p * (MatMul.dot(gd, qOff, vd, kvOff, d) - delta[row]);
                    axpy(scale * ds, qd, qOff, dkd, kvOff, d);
                }
            }
        });
        return new Grads(dq, dk, dv);
    }

    /** {@code acc[accOff..accOff+d) += a * x[xOff..xOff+d)}: vector body, then scalar tail. */
    private static void axpy(float a, float[] x, int xOff, float[] acc, int accOff, int d) {
        int t = 0;
        int bound = S.loopBound(d);
        FloatVector av = FloatVector.broadcast(S, a);
        for (; t < bound; t += S.length()) {
            FloatVector.fromArray(S, x, xOff + t).fma(av, FloatVector.fromArray(S, acc, accOff + t)).intoArray(acc, accOff + t);
        }
        for (; t < d; t++) {
            acc[accOff + t] += a * x[xOff + t];
        }
    }
}
