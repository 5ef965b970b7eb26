package dev.cogvideox.train.grad;

import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.cogvideox.tensor.GradientCheck.*;

/** Attention backward (recomputed probabilities) for self-attention (Lq = Lk = 9) and Lq != Lk, 2 heads of 12. */
class AttentionGradTest {
    private static final int B = 2, H = 2, D = 12;
    private static final float SCALE = (float) (1 / Math.sqrt(D));

    /** {@code softmax(scale q k^T) v} per sample and head, in double; q [B, lq, H*D], k and v [B, lk, H*D]. */
    private static double[] attention(double[] q, double[] k, double[] v, int lq, int lk) {
        int w = H * D;
        double[] out = new double[B * lq * w];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                for (int i = 0; i < lq; i++) {
                    double[] p = new double[lk];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < lk; j++) {
                        for (int d = 0; d < D; d++) {
                            p[j] += SCALE * q[(b * lq + i) * w + h * D + d] * k[(b * lk + j) * w + h * D + d];
                        }
                        max = Math.max(max, p[j]);
                    }
                    for (int j = 0; j < lk; j++) {
                        p[j] = Math.exp(p[j] - max);
                        sum += p[j];
                    }
                    for (int j = 0; j < lk; j++) {
                        for (int d = 0; d < D; d++) {
                            out[(b * lq + i) * w + h * D + d] += p[j] / sum * v[(b * lk + j) * w + h * D + d];
                        }
                    }
                }
            }
        }
        return out;
    }

    private static void check(int lq, int lk, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Tensor q = randn(rng, B, lq, H * D), k = randn(rng, B, lk, H * D), v = randn(rng, B, lk, H * D), dO = randn(rng, B, lq, H * D);
        double[] qd = toDouble(q), kd = toDouble(k), vd = toDouble(v);
        Tensor o = Kernels.JAVA.attend(q, k, v, H, SCALE, null, null);
        assertForward("attention", o, attention(qd, kd, vd, lq, lk));

        AttentionGrad.Grads g = AttentionGrad.backward(q, k, v, o, dO, H, SCALE);
        assertGradient("dq", g.dq(), numeric(x -> attention(x, kd, vd, lq, lk), qd, dO));
        assertGradient("dk", g.dk(), numeric(x -> attention(qd, x, vd, lq, lk), kd, dO));
        assertGradient("dv", g.dv(), numeric(x -> attention(qd, kd, x, lq, lk), vd, dO));
    }

    @Test
    void selfAttention() {
        check(9, 9, 8);
    }

    @Test
    void queriesAndKeysOfDifferentLengths() {
        check(5, 13, 9);
    }

    @Test
    void keysPastOneVector() {
        check(6, 37, 10);                                   // 37 keys: whole vectors and a tail; rows 0-3 fused, 4-5 alone
    }

    /** The fused four-row path against the one-row-at-a-time loop it replaces, bit for bit, at the model's head size. */
    @Test
    void fourRowsAtATimeAreTheRowLoopBitForBit() {
        int heads = 4, d = 32;
        for (int[] shape : new int[][]{{4, 4}, {7, 16}, {33, 40}, {196, 196}, {9, 197}}) {
            int lq = shape[0], lk = shape[1];
            SplittableRandom rng = new SplittableRandom(lq * 1000L + lk);
            Tensor q = randn(rng, 2, lq, heads * d), k = randn(rng, 2, lk, heads * d), v = randn(rng, 2, lk, heads * d),
                    dO = randn(rng, 2, lq, heads * d);
            float scale = (float) (1 / Math.sqrt(d));
            Tensor o = Kernels.JAVA.attend(q, k, v, heads, scale, null, null);
            AttentionGrad.Grads fused = AttentionGrad.backward(q, k, v, o, dO, heads, scale);
            float[][] rowLoop = rowLoop(q.data(), k.data(), v.data(), o.data(), dO.data(), 2, lq, lk, heads, d, scale);
            org.assertj.core.api.Assertions.assertThat(fused.dq().data()).as("dq %dx%d", lq, lk).isEqualTo(rowLoop[0]);
            org.assertj.core.api.Assertions.assertThat(fused.dk().data()).as("dk %dx%d", lq, lk).isEqualTo(rowLoop[1]);
            org.assertj.core.api.Assertions.assertThat(fused.dv().data()).as("dv %dx%d", lq, lk).isEqualTo(rowLoop[2]);
        }
    }

    private static final jdk.incubator.vector.VectorSpecies<Float> S = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;

    /** The backward one query row at a time (K and V transposed, vector axpy and dot): the loop before rows were fused. */
    private static float[][] rowLoop(float[] qd, float[] kd, float[] vd, float[] od, float[] gd, int b, int lq, int lk, int heads, int d, float scale) {
        int width = heads * d;
        float[] dq = new float[qd.length], dk = new float[kd.length], dv = new float[vd.length];
        for (int bb = 0; bb < b; bb++) {
            for (int h = 0; h < heads; h++) {
                float[] kt = new float[d * lk], vt = new float[d * lk], dkt = new float[d * lk], dvt = new float[d * lk];
                for (int j = 0; j < lk; j++) {
                    for (int t = 0; t < d; t++) {
                        kt[t * lk + j] = kd[(bb * lk + j) * width + h * d + t];
                        vt[t * lk + j] = vd[(bb * lk + j) * width + h * d + t];
                    }
                }
                for (int i = 0; i < lq; i++) {
                    int qOff = (bb * lq + i) * width + h * d;
                    float[] p = new float[lk], ds = new float[lk];
                    for (int t = 0; t < d; t++) {
                        axpy(scale * qd[qOff + t], kt, t * lk, p, 0, lk);
                        axpy(gd[qOff + t], vt, t * lk, ds, 0, lk);
                    }
                    dev.cogvideox.tensor.VectorMath.softmaxInPlace(p, 0, lk);
                    float di = dev.cogvideox.tensor.MatMul.dot(gd, qOff, od, qOff, d);
                    for (int j = 0; j < lk; j++) {
                        ds[j] = p[j] * (ds[j] - di);
                    }
                    for (int t = 0; t < d; t++) {
                        dq[qOff + t] = scale * dev.cogvideox.tensor.MatMul.dot(ds, 0, kt, t * lk, lk);
                        axpy(gd[qOff + t], p, 0, dvt, t * lk, lk);
                        axpy(scale * qd[qOff + t], ds, 0, dkt, t * lk, lk);
                    }
                }
                for (int j = 0; j < lk; j++) {
                    for (int t = 0; t < d; t++) {
                        dk[(bb * lk + j) * width + h * d + t] = dkt[t * lk + j];
                        dv[(bb * lk + j) * width + h * d + t] = dvt[t * lk + j];
                    }
                }
            }
        }
        return new float[][]{dq, dk, dv};
    }

    private static void axpy(float a, float[] x, int xOff, float[] acc, int accOff, int n) {
        int t = 0, bound = S.loopBound(n);
        jdk.incubator.vector.FloatVector av = jdk.incubator.vector.FloatVector.broadcast(S, a);
        for (; t < bound; t += S.length()) {
            jdk.incubator.vector.FloatVector.fromArray(S, x, xOff + t).fma(av, jdk.incubator.vector.FloatVector.fromArray(S, acc, accOff + t))
                    .intoArray(acc, accOff + t);
        }
        for (; t < n; t++) {
            acc[accOff + t] += a * x[xOff + t];
        }
    }
}
