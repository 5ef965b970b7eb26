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
 * reductions per row. Query rows go four at a time ({@link #fourRows}): each vector of K, V, dK or dV loaded serves
 * four rows' FMAs instead of one, in the same order of operations as one row at a time, so the result is bitwise that
 * of the row loop (which handles the last rows). Each output element belongs to one task, so the result does not
 * depend on the thread count.
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
            float[] p = new float[lk], ds = new float[lk], p4 = new float[4 * lk], ds4 = new float[4 * lk], c4 = new float[4 * d];
            for (int task = from; task < to; task++) {
                int h = task % heads, bb = task / heads;
                transpose(kd, vd, bb * lk * width + h * d, width, lk, d, kt, vt);
                java.util.Arrays.fill(dkt, 0f);
                java.util.Arrays.fill(dvt, 0f);
                int i = 0;
                for (; i + 4 <= lq; i += 4) {
                    int base = (bb * lq + i) * width + h * d;
                    fourRows(qd, gd, od, dqd, base, width, d, lk, scale, kt, vt, dkt, dvt, p4, ds4, c4);
                }
                for (; i < lq; i++) {
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

    /**
     * Rows {@code i..i+3} (query offsets {@code base + r * width}) of the row loop in {@link #backward}, fused: every
     * sum keeps the row loop's order (over t for a score, over chunks then lanes for a dot, over rows for dK and dV).
     * {@code p4}, {@code ds4} ({@code [4][lk]}) and {@code c4} ({@code [4][d]}) are scratch.
     */
    private static void fourRows(float[] qd, float[] gd, float[] od, float[] dqd, int base, int width, int d, int lk, float scale,
                                 float[] kt, float[] vt, float[] dkt, float[] dvt, float[] p4, float[] ds4, float[] c4) {
        for (int r = 0; r < 4; r++) {
            for (int t = 0; t < d; t++) {
                c4[r * d + t] = scale * qd[base + r * width + t];
            }
        }
        rowsTimes(c4, kt, d, lk, p4);                                             // scale q K^T
        for (int r = 0; r < 4; r++) {
            System.arraycopy(gd, base + r * width, c4, r * d, d);
        }
        rowsTimes(c4, vt, d, lk, ds4);                                            // dO V^T
        for (int r = 0; r < 4; r++) {
            int qOff = base + r * width;
            VectorMath.softmaxInPlace(p4, r * lk, (r + 1) * lk);
            float di = MatMul.dot(gd, qOff, od, qOff, d);
            for (int j = r * lk; j < (r + 1) * lk; j++) {
                ds4[j] = p4[j] * (ds4[j] - di);
            }
        }
        dots(ds4, kt, d, lk, scale, dqd, base, width);                            // dq = scale ds K
        accumulateOuter(c4, p4, d, lk, dvt);                                      // dV^T += dO^T p (c4 holds dO)
        for (int r = 0; r < 4; r++) {
            for (int t = 0; t < d; t++) {
                c4[r * d + t] = scale * qd[base + r * width + t];
            }
        }
        accumulateOuter(c4, ds4, d, lk, dkt);                                     // dK^T += scale q^T ds
    }

    /** {@code out[r][j] = sum_t c[r][t] m[t][j]} for four rows, t in order (vector lanes by FMA, the tail as axpy does). */
    private static void rowsTimes(float[] c, float[] m, int d, int lk, float[] out) {
        int bound = S.loopBound(lk), vl = S.length();
        for (int j = 0; j < bound; j += vl) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int t = 0; t < d; t++) {
                FloatVector mv = FloatVector.fromArray(S, m, t * lk + j);
                a0 = mv.fma(FloatVector.broadcast(S, c[t]), a0);
                a1 = mv.fma(FloatVector.broadcast(S, c[d + t]), a1);
                a2 = mv.fma(FloatVector.broadcast(S, c[2 * d + t]), a2);
                a3 = mv.fma(FloatVector.broadcast(S, c[3 * d + t]), a3);
            }
            a0.intoArray(out, j);
            a1.intoArray(out, lk + j);
            a2.intoArray(out, 2 * lk + j);
            a3.intoArray(out, 3 * lk + j);
        }
        for (int r = 0; r < 4; r++) {
            for (int j = bound; j < lk; j++) {
                float acc = 0f;
                for (int t = 0; t < d; t++) {
                    acc += c[r * d + t] * m[t * lk + j];
                }
                out[r * lk + j] = acc;
            }
        }
    }

    /** {@code dst[base + r*width + t] = scale * dot(v[r], m[t])} for four rows, each dot as {@link MatMul#dot} sums it. */
    private static void dots(float[] v, float[] m, int d, int lk, float scale, float[] dst, int base, int width) {
        int bound = S.loopBound(lk), vl = S.length();
        float[] lanes = new float[4 * vl];
        for (int t = 0; t < d; t++) {
            FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
            int mo = t * lk;
            for (int j = 0; j < bound; j += vl) {
                FloatVector mv = FloatVector.fromArray(S, m, mo + j);
                s0 = FloatVector.fromArray(S, v, j).fma(mv, s0);
                s1 = FloatVector.fromArray(S, v, lk + j).fma(mv, s1);
                s2 = FloatVector.fromArray(S, v, 2 * lk + j).fma(mv, s2);
                s3 = FloatVector.fromArray(S, v, 3 * lk + j).fma(mv, s3);
            }
            s0.intoArray(lanes, 0);
            s1.intoArray(lanes, vl);
            s2.intoArray(lanes, 2 * vl);
            s3.intoArray(lanes, 3 * vl);
            for (int r = 0; r < 4; r++) {
                float sum = 0f;
                for (int l = 0; l < vl; l++) {
                    sum += lanes[r * vl + l];
                }
                for (int j = bound; j < lk; j++) {
                    sum += v[r * lk + j] * m[mo + j];
                }
                dst[base + r * width + t] = scale * sum;
            }
        }
    }

    /** {@code acc[t][j] += c[r][t] v[r][j]} for rows r = 0..3 in order (vector lanes by FMA, the tail as axpy does). */
    private static void accumulateOuter(float[] c, float[] v, int d, int lk, float[] acc) {
        int bound = S.loopBound(lk), vl = S.length();
        for (int j = 0; j < bound; j += vl) {
            FloatVector v0 = FloatVector.fromArray(S, v, j), v1 = FloatVector.fromArray(S, v, lk + j),
                    v2 = FloatVector.fromArray(S, v, 2 * lk + j), v3 = FloatVector.fromArray(S, v, 3 * lk + j);
            for (int t = 0; t < d; t++) {
                int o = t * lk + j;
                FloatVector a = FloatVector.fromArray(S, acc, o);
                a = v0.fma(FloatVector.broadcast(S, c[t]), a);
                a = v1.fma(FloatVector.broadcast(S, c[d + t]), a);
                a = v2.fma(FloatVector.broadcast(S, c[2 * d + t]), a);
                a = v3.fma(FloatVector.broadcast(S, c[3 * d + t]), a);
                a.intoArray(acc, o);
            }
        }
        for (int t = 0; t < d; t++) {
            for (int j = bound; j < lk; j++) {
                float a = acc[t * lk + j];
                for (int r = 0; r < 4; r++) {
                    a += c[r * d + t] * v[r * lk + j];
                }
                acc[t * lk + j] = a;
            }
        }
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
