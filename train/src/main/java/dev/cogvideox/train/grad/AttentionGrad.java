package dev.cogvideox.train.grad;

import dev.cogvideox.tensor.MatMul;
import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Backward of {@link dev.cogvideox.tensor.Kernels#attend} (no bias), flash-attention style: the probabilities
 * are recomputed from q and k one query row at a time, never as an L x L matrix. With {@code s_ij = scale q_i . k_j},
 * {@code p_ij = exp(s_ij - lse_i)} and {@code D_i = dO_i . O_i}:
 * <pre>
 *   dv_j = sum_i p_ij dO_i
 *   ds_ij = p_ij (dO_i . v_j - D_i)
 *   dq_i = scale sum_j ds_ij k_j,   dk_j = scale sum_i ds_ij q_i
 * </pre>
 * One task per sample and head walks its query rows in order. K and V are held transposed ({@code [D, Lk]}) so that
 * every product runs along the key axis in whole vectors: a score row is {@code sum_t q_it K^T_t}, {@code dv} and
 * {@code dk} accumulate as {@code dV^T_t += dO_it p}, {@code dK^T_t += scale q_it ds}; only {@code dq} needs D
 * reductions per row. Each output element belongs to one task, so the result does not depend on the thread count.
 * Layout as the forward: {@code [B, L, H*D]}.
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
        Tensor dq = Tensor.zeros(q.shape()), dk = Tensor.zeros(k.shape()), dv = Tensor.zeros(v.shape());
        float[] dqd = dq.data(), dkd = dk.data(), dvd = dv.data();
        Parallel.forRange(b * heads, 1, (from, to) -> {
            float[] kt = new float[d * lk], vt = new float[d * lk], dkt = new float[d * lk], dvt = new float[d * lk];
            float[] p = new float[lk], ds = new float[lk];
            for (int task = from; task < to; task++) {
                int h = task % heads, bb = task / heads;
                transpose(kd, vd, bb * lk * width + h * d, width, lk, d, kt, vt);
                java.util.Arrays.fill(dkt, 0f);
                java.util.Arrays.fill(dvt, 0f);
                for (int i = 0; i < lq; i++) {
                    int qOff = (bb * lq + i) * width + h * d;
                    // p = softmax(scale q_i K^T), ds = p (dO_i V^T - D_i)
                    java.util.Arrays.fill(p, 0f);
                    java.util.Arrays.fill(ds, 0f);
                    for (int t = 0; t < d; t++) {
                        axpy(scale * qd[qOff + t], kt, t * lk, p, 0, lk);
                        axpy(gd[qOff + t], vt, t * lk, ds, 0, lk);
                    }
                    VectorMath.softmaxInPlace(p, 0, lk);
                    float di = MatMul.dot(gd, qOff, od, qOff, d);
                    for (int j = 0; j < lk; j++) {
                        ds[j] = p[j] * (ds[j] - di);
                    }
                    for (int t = 0; t < d; t++) {
                        dqd[qOff + t] = scale * MatMul.dot(ds, 0, kt, t * lk, lk);
                        axpy(gd[qOff + t], p, 0, dvt, t * lk, lk);
                        axpy(scale * qd[qOff + t], ds, 0, dkt, t * lk, lk);
                    }
                }
                for (int j = 0; j < lk; j++) {
                    int off = (bb * lk + j) * width + h * d;
                    for (int t = 0; t < d; t++) {
                        dkd[off + t] = dkt[t * lk + j];
                        dvd[off + t] = dvt[t * lk + j];
                    }
                }
            }
        });
        return new Grads(dq, dk, dv);
    }

    /** The head's rows of k and v (from {@code off}, {@code ld} apart) as {@code [d, lk]} matrices. */
    private static void transpose(float[] kd, float[] vd, int off, int ld, int lk, int d, float[] kt, float[] vt) {
        for (int j = 0; j < lk; j++) {
            int row = off + j * ld;
            for (int t = 0; t < d; t++) {
                kt[t * lk + j] = kd[row + t];
                vt[t * lk + j] = vd[row + t];
            }
        }
    }

    /** {@code acc[accOff..accOff+n) += a * x[xOff..xOff+n)}: vector body, then scalar tail. */
    private static void axpy(float a, float[] x, int xOff, float[] acc, int accOff, int n) {
        int t = 0;
        int bound = S.loopBound(n);
        FloatVector av = FloatVector.broadcast(S, a);
        for (; t < bound; t += S.length()) {
            FloatVector.fromArray(S, x, xOff + t).fma(av, FloatVector.fromArray(S, acc, accOff + t)).intoArray(acc, accOff + t);
        }
        for (; t < n; t++) {
            acc[accOff + t] += a * x[xOff + t];
        }
    }
}
