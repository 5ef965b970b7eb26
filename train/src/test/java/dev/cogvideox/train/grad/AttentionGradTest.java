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
}
