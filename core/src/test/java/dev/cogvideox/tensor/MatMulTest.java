package dev.cogvideox.tensor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link MatMul} against a scalar double-precision twin at awkward shapes, for every weight dtype. */
class MatMulTest {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(0);
    }

    static Stream<Arguments> shapes() {
        // m, k, n: tiny test-model shapes, tile edges (6 rows, 64 columns), past a KC step (384), a panel
        // (2048 columns) and a row block (120 rows).
        int[][] mkn = {{1, 32, 64}, {1, 1, 1}, {6, 13, 207}, {13, 207, 6}, {207, 6, 13}, {6, 512, 64},
                {70, 600, 257}, {4098, 13, 1}, {2, 4098, 13}, {241, 64, 96}, {125, 400, 2113}};
        return Stream.of(DType.F32, DType.BF16, DType.F16).flatMap(dt -> Stream.of(mkn)
                .flatMap(s -> Stream.of(true, false).map(bias -> Arguments.of(dt, s[0], s[1], s[2], bias))));
    }

    @ParameterizedTest(name = "{0} m={1} k={2} n={3} bias={4}")
    @MethodSource("shapes")
    void matchesScalarTwinAndThreadCounts(DType dtype, int m, int k, int n, boolean withBias) {
        SplittableRandom rnd = new SplittableRandom(31L * m + 7L * k + n);
        float[] x = random(rnd, m * k);
        Weight w = weight(dtype, n, k, rnd);
        float[] bias = withBias ? random(rnd, n) : null;

        float[] expected = scalarTwin(x, m, k, w.toTensor().data(), n, bias);
        Parallel.setThreads(1);
        float[] one = new float[m * n];
        MatMul.gemm(x, 0, m, k, w, bias, one, 0);
        Parallel.setThreads(2);
        float[] two = new float[m * n];
        MatMul.gemm(x, 0, m, k, w, bias, two, 0);

        assertThat(two).as("2 threads vs 1 thread, bit for bit").isEqualTo(one);
        assertClose(one, expected, 1e-11, 1e-4f * (float) Math.sqrt(k));
    }

    @ParameterizedTest(name = "accumulate m={0} k={1} n={2}")
    @MethodSource("accumulateShapes")
    void accumulateAddsToOutput(int m, int k, int n) {
        SplittableRandom rnd = new SplittableRandom(5);
        float[] x = random(rnd, m * k);
        Weight w = weight(DType.BF16, n, k, rnd);
        float[] bias = random(rnd, n);
        float[] c = random(rnd, m * n);
        float[] expected = scalarTwin(x, m, k, w.toTensor().data(), n, bias);
        for (int i = 0; i < expected.length; i++) {
            expected[i] += c[i];
        }
        MatMul.gemmAccumulate(x, 0, m, k, w, bias, c, 0);
        assertClose(c, expected, 1e-11, 1e-4f * (float) Math.sqrt(k));
    }

    static Stream<Arguments> accumulateShapes() {
        return Stream.of(Arguments.of(1, 32, 64), Arguments.of(13, 300, 207));
    }

    @ParameterizedTest(name = "linear {0}")
    @MethodSource("dtypes")
    void linearKeepsLeadingDimensions(DType dtype) {
        SplittableRandom rnd = new SplittableRandom(11);
        Tensor x = Tensor.of(random(rnd, 2 * 3 * 32), 2, 3, 32);
        Weight w = weight(dtype, 64, 32, rnd);
        Weight b = weight(DType.F32, 64, 1, rnd);
        Weight bias = new Weight("b", DType.F32, new int[]{64}, b.segment());
        Tensor y = MatMul.linear(x, w, bias);
        assertThat(y.shape()).containsExactly(2, 3, 64);
        float[] expected = scalarTwin(x.data(), 6, 32, w.toTensor().data(), 64, bias.toTensor().data());
        assertClose(y.data(), expected, 1e-11, 1e-4f);
    }

    static Stream<Arguments> productShapes() {
        // m, n, k: edges of the 6-row sliver and the 64-column tile, two KC passes (k > 960), several row blocks
        int[][] mnk = {{1, 1, 1}, {6, 64, 13}, {13, 207, 6}, {128, 512, 1000}, {125, 65, 1931}, {7, 130, 2}};
        return Stream.of(mnk).flatMap(s -> Stream.of(false, true).flatMap(aT -> Stream.of(false, true)
                .map(bT -> Arguments.of(s[0], s[1], s[2], aT, bT))));
    }

    @ParameterizedTest(name = "product m={0} n={1} k={2} A^T stored={3} B^T stored={4}")
    @MethodSource("productShapes")
    void productReadsEitherStorageAsGemmDoesOnTransposedCopies(int m, int n, int k, boolean aTransposed, boolean bTransposed) {
        SplittableRandom rnd = new SplittableRandom(17L * m + 3L * n + k);
        float[] a = random(rnd, m * k), b = random(rnd, k * n);                  // A [m, k] and B [k, n] as the math has them
        float[] aStored = aTransposed ? transpose(a, m, k) : a, bStored = bTransposed ? transpose(b, k, n) : b;
        float[] bt = transpose(b, k, n);                                           // [n, k]: the weight layout gemm reads

        float[] expected = scalarTwin(a, m, k, bt, n, null);
        float[] viaGemm = new float[m * n];
        MatMul.gemm(a, 0, m, k, Weight.of("B^T", Tensor.of(bt, n, k)), null, viaGemm, 0);
        Parallel.setThreads(1);
        float[] one = new float[m * n];
        MatMul.product(aStored, aTransposed, bStored, bTransposed, m, n, k, one);
        Parallel.setThreads(2);
        float[] two = new float[m * n];
        MatMul.product(aStored, aTransposed, bStored, bTransposed, m, n, k, two);

        assertThat(one).as("the same FMA chains as gemm on transposed copies, bit for bit").isEqualTo(viaGemm);
        assertThat(two).as("2 threads vs 1 thread, bit for bit").isEqualTo(one);
        assertClose(one, expected, 1e-11, 1e-4f * (float) Math.sqrt(k));
    }

    @org.junit.jupiter.api.Test
    void productRefusesOperandsShorterThanTheirShape() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MatMul.product(new float[5], false, new float[6], false, 2, 2, 3, new float[4]))
                .hasMessageContaining("A 2x3 (5 floats)");
    }

    static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = x[i * cols + j];
            }
        }
        return t;
    }

    static Stream<DType> dtypes() {
        return Stream.of(DType.F32, DType.BF16, DType.F16);
    }

    /** {@code y[i, j] = sum_k x[i, k] * w[j, k] + b[j]} in double: the reference the kernel is held to. */
    static float[] scalarTwin(float[] x, int m, int k, float[] w, int n, float[] bias) {
        float[] y = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = bias == null ? 0 : bias[j];
                for (int kk = 0; kk < k; kk++) {
                    s += (double) x[i * k + kk] * w[j * k + kk];
                }
                y[i * n + j] = (float) s;
            }
        }
        return y;
    }

    /** Normalised error {@code mse(actual, expected) / mse(expected, 0)} and the largest absolute difference. */
    static void assertClose(float[] actual, float[] expected, double maxNormalised, float maxAbs) {
        ErrorStats e = ErrorStats.of(expected, actual);
        assertThat(e.rmsRelative() * e.rmsRelative()).as("normalised error").isLessThanOrEqualTo(maxNormalised);
        assertThat(e.worstAbs()).as("max abs error").isLessThanOrEqualTo(maxAbs);
    }

    static float[] random(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return v;
    }

    /** A random {@code [n, k]} weight stored in {@code dtype} (narrowed from fp32, little-endian). */
    static Weight weight(DType dtype, int n, int k, SplittableRandom rnd) {
        float[] v = random(rnd, n * k);
        MemorySegment seg = MemorySegment.ofArray(new byte[n * k * dtype.bytes()]);
        for (int i = 0; i < v.length; i++) {
            switch (dtype) {
                case F32 -> seg.setAtIndex(F32, i, v[i]);
                case BF16 -> seg.setAtIndex(U16, i, (short) (Float.floatToRawIntBits(v[i]) >>> 16));
                case F16 -> seg.setAtIndex(U16, i, Float.floatToFloat16(v[i]));
                default -> throw new IllegalArgumentException(dtype.name());
            }
        }
        return new Weight("w", dtype, new int[]{n, k}, seg);
    }
}
