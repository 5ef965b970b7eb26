package dev.cogvideox.tensor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Attention} against a scalar double-precision twin at awkward shapes, with and without a bias. */
class AttentionTest {
    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(0);
    }

    static Stream<Arguments> shapes() {
        // batch, lq, lk, heads, head dim: test-model sizes, the real head size 64, edges of the tiles (64 queries,
        // 6 keys or dims), of a key block (120) and of a task (256 queries), and odd head sizes.
        int[][] s = {{1, 1, 1, 1, 8}, {2, 6, 13, 2, 16}, {1, 13, 207, 3, 64}, {1, 65, 121, 2, 64}, {2, 207, 6, 1, 13},
                {1, 257, 130, 2, 5}, {1, 4098, 7, 1, 6}, {1, 3, 4098, 1, 16}};
        return Stream.of(s).flatMap(a -> Stream.of(false, true).map(bias -> Arguments.of(a[0], a[1], a[2], a[3], a[4], bias)));
    }

    @ParameterizedTest(name = "b={0} lq={1} lk={2} h={3} d={4} bias={5}")
    @MethodSource("shapes")
    void matchesScalarTwinAndThreadCounts(int b, int lq, int lk, int heads, int d, boolean withBias) {
        SplittableRandom rnd = new SplittableRandom(1000L * lq + 10L * lk + d);
        int width = heads * d;
        Tensor q = Tensor.of(MatMulTest.random(rnd, b * lq * width), b, lq, width);
        Tensor k = Tensor.of(MatMulTest.random(rnd, b * lk * width), b, lk, width);
        Tensor v = Tensor.of(MatMulTest.random(rnd, b * lk * width), b, lk, width);
        // Scores of a few units, as trained models produce: the softmax is far from uniform.
        float scale = 4f / (float) Math.sqrt(d);
        Tensor bias = withBias ? Tensor.of(scaled(MatMulTest.random(rnd, heads * lq * lk), 3f), heads, lq, lk) : null;

        float[] expected = scalarTwin(q.data(), k.data(), v.data(), b, lq, lk, heads, d, scale, bias == null ? null : bias.data());
        Parallel.setThreads(1);
        Tensor one = Attention.attend(q, k, v, heads, scale, bias);
        Parallel.setThreads(2);
        Tensor two = Attention.attend(q, k, v, heads, scale, bias);

        assertThat(two.data()).as("2 threads vs 1 thread, bit for bit").isEqualTo(one.data());
        assertThat(one.shape()).containsExactly(b, lq, width);
        MatMulTest.assertClose(one.data(), expected, 1e-11, 2e-5f);
    }

    @Test
    void maskedKeysAcrossKeyBlocksGetZeroWeight() {
        // A -inf bias on the first 130 keys of query 0 (past the first key block of 120) and on key 3 of query 1.
        SplittableRandom rnd = new SplittableRandom(3);
        int lq = 2, lk = 200, d = 64;
        Tensor q = Tensor.of(MatMulTest.random(rnd, lq * d), 1, lq, d);
        Tensor k = Tensor.of(MatMulTest.random(rnd, lk * d), 1, lk, d);
        Tensor v = Tensor.of(MatMulTest.random(rnd, lk * d), 1, lk, d);
        float[] bias = new float[lq * lk];
        java.util.Arrays.fill(bias, 0, 130, Float.NEGATIVE_INFINITY);
        bias[lk + 3] = Float.NEGATIVE_INFINITY;
        float[] expected = scalarTwin(q.data(), k.data(), v.data(), 1, lq, lk, 1, d, 0.125f, bias);
        Tensor out = Attention.attend(q, k, v, 1, 0.125f, Tensor.of(bias, 1, lq, lk));
        MatMulTest.assertClose(out.data(), expected, 1e-11, 2e-5f);
    }

    @Test
    void exp2IsAccurateToTwoUlp() {
        float[] x = new float[TileKernel.L];
        for (float start = -126f; start < 0f; start += 0.37f * TileKernel.L) {
            for (int i = 0; i < x.length; i++) {
                x[i] = start + 0.37f * i;
            }
            float[] y = VectorMath.exp2(jdk.incubator.vector.FloatVector.fromArray(TileKernel.S, x, 0)).toArray();
            for (int i = 0; i < x.length; i++) {
                double want = Math.pow(2, x[i]);
                assertThat(Math.abs(y[i] - want)).as("2^%s", x[i]).isLessThanOrEqualTo(2 * Math.ulp((float) want));
            }
        }
        float[] inf = new float[TileKernel.L];
        java.util.Arrays.fill(inf, Float.NEGATIVE_INFINITY);
        assertThat(VectorMath.exp2(jdk.incubator.vector.FloatVector.fromArray(TileKernel.S, inf, 0)).toArray()).containsOnly(0f);
    }

    /** {@code softmax(scale · q k^T + bias) v} per batch, head and query row, in double. */
    static float[] scalarTwin(float[] q, float[] k, float[] v, int b, int lq, int lk, int heads, int d, float scale, float[] bias) {
        int width = heads * d;
        float[] out = new float[b * lq * width];
        double[] p = new double[lk];
        for (int bb = 0; bb < b; bb++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < lq; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < lk; j++) {
                        double s = 0;
                        for (int e = 0; e < d; e++) {
                            s += (double) q[(bb * lq + i) * width + h * d + e] * k[(bb * lk + j) * width + h * d + e];
                        }
                        p[j] = s * scale + (bias == null ? 0 : bias[(h * lq + i) * lk + j]);
                        max = Math.max(max, p[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < lk; j++) {
                        p[j] = Math.exp(p[j] - max);
                        sum += p[j];
                    }
                    for (int e = 0; e < d; e++) {
                        double acc = 0;
                        for (int j = 0; j < lk; j++) {
                            acc += p[j] * v[(bb * lk + j) * width + h * d + e];
                        }
                        out[(bb * lq + i) * width + h * d + e] = (float) (acc / sum);
                    }
                }
            }
        }
        return out;
    }

    private static float[] scaled(float[] x, float s) {
        for (int i = 0; i < x.length; i++) {
            x[i] *= s;
        }
        return x;
    }
}
