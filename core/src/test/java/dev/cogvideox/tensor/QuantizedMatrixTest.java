package dev.cogvideox.tensor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Quantized weights: the packed layouts against hand-worked blocks, the rounding error of each format against its
 * bound, and the matrix product on packed blocks against its scalar twin (dequantize the whole matrix, then the
 * fp32 product) at awkward sizes.
 */
class QuantizedMatrixTest {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(0);
    }

    private static Weight matrix(String name, int rows, int cols, float... v) {
        return Weight.of(name, Tensor.of(v, rows, cols));
    }

    @Test
    void q40BlockIsGgmlsLayout() {
        // x_j = j - 16: the largest magnitude is -16, so d = -16 / -8 = 2 and q_j = trunc(x_j / 2 + 8.5), at most 15
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) {
            x[j] = j - 16;
        }
        Weight q = matrix("w", 1, 32, x).quantize(QuantFormat.Q4_0);
        QuantizedMatrix m = QuantizedMatrix.quantize(matrix("w", 1, 32, x), QuantFormat.Q4_0);
        assertThat(m.byteSize()).isEqualTo(18);
        float[] back = new float[32];
        q.widen(0, back, 0, 32);
        for (int j = 0; j < 32; j++) {
            int nib = Math.min(15, (int) (x[j] / 2 + 8.5f));
            assertThat(back[j]).as("x[%d]", j).isEqualTo((nib - 8) * 2f);
        }
        assertThat(back[0]).isEqualTo(-16f);
        assertThat(back[31]).as("15 / 2 + 8.5 = 16, clamped to 15: 7 * 2").isEqualTo(14f);
        // the bytes: fp16 2.0 = 0x4000, then low nibble of byte j = q_j, high nibble = q_{j+16}
        MemorySegment blocks = MemorySegment.ofArray(new byte[18]);
        blocks.set(U16, 0, Float.floatToFloat16(2f));
        for (int j = 0; j < 16; j++) {
            int lo = (int) (x[j] / 2 + 8.5f), hi = Math.min(15, (int) (x[j + 16] / 2 + 8.5f));
            blocks.set(ValueLayout.JAVA_BYTE, 2 + j, (byte) (lo | hi << 4));
        }
        float[] fromBytes = new float[32];
        QuantizedMatrix.ofBlocks(QuantFormat.Q4_0, 1, 32, blocks).dequantize(0, 0, fromBytes, 0, 32);
        assertThat(fromBytes).containsExactly(back);
    }

    @Test
    void q41AndQ80BlocksDecodeAsGgml() {
        // Q4_1: d = 0.5, m = -1: nibble q -> 0.5 q - 1; Q8_0: d = 0.25: q -> q / 4
        MemorySegment q41 = MemorySegment.ofArray(new byte[20]);
        q41.set(U16, 0, Float.floatToFloat16(0.5f));
        q41.set(U16, 2, Float.floatToFloat16(-1f));
        for (int j = 0; j < 16; j++) {
            q41.set(ValueLayout.JAVA_BYTE, 4 + j, (byte) (j | (15 - j) << 4));
        }
        float[] v = new float[32];
        QuantizedMatrix.ofBlocks(QuantFormat.Q4_1, 1, 32, q41).dequantize(0, 0, v, 0, 32);
        for (int j = 0; j < 16; j++) {
            assertThat(v[j]).isEqualTo(0.5f * j - 1);
            assertThat(v[16 + j]).isEqualTo(0.5f * (15 - j) - 1);
        }
        MemorySegment q80 = MemorySegment.ofArray(new byte[34]);
        q80.set(U16, 0, Float.floatToFloat16(0.25f));
        for (int j = 0; j < 32; j++) {
            q80.set(ValueLayout.JAVA_BYTE, 2 + j, (byte) (j * 8 - 128));
        }
        QuantizedMatrix.ofBlocks(QuantFormat.Q8_0, 1, 32, q80).dequantize(0, 0, v, 0, 32);
        for (int j = 0; j < 32; j++) {
            assertThat(v[j]).isEqualTo((j * 8 - 128) / 4f);
        }
    }

    @Test
    void int8IsPerRowSymmetric() {
        // row 0: amax 127 -> scale 1, exact; row 1: amax 2.54 -> scale 0.02, 1.0 -> 50 steps
        Weight q = matrix("w", 2, 3, 127f, -5f, 0.4f, 2.54f, 1f, -2.54f).quantize(QuantFormat.INT8);
        assertThat(q.toTensor().data()).containsExactly(new float[] {127f, -5f, 0f, 2.54f, 50 * 0.02f, -2.54f}, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(q.byteSize()).isEqualTo(6 + 2 * 4);
        assertThat(q.quantFormat()).isEqualTo(QuantFormat.INT8);
    }

    /** The worst rounding error a format allows for one value of a block (or row) of {@code x}, with a little slack for fp16 scales. */
    private static double bound(QuantFormat f, float[] x, int from, int n) {
        double amax = 0, min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (int i = from; i < from + n; i++) {
            amax = Math.max(amax, Math.abs(x[i]));
            min = Math.min(min, x[i]);
            max = Math.max(max, x[i]);
        }
        double fp16 = Math.scalb(1.0, -11);
        return switch (f) {
            case INT8 -> amax / 127 * 0.5 * (1 + 1e-5) + 1e-12;
            case Q8_0 -> amax / 127 * (0.5 + 127 * fp16) * (1 + 1e-5) + 1e-12;
            // the clamp at 15: the opposite extreme lands at 7 d instead of 8 d, one whole step off
            case Q4_0 -> amax / 8 * (1 + 8 * fp16) * (1 + 1e-5) + 1e-12;
            case Q4_1 -> ((max - min) / 15 * (0.5 + 15 * fp16) + Math.abs(min) * fp16) * (1 + 1e-5) + 1e-12;
        };
    }

    @ParameterizedTest
    @EnumSource(QuantFormat.class)
    void roundingErrorStaysWithinTheFormatsBound(QuantFormat f) {
        SplittableRandom rnd = new SplittableRandom(f.ordinal() + 17);
        for (int[] rc : new int[][] {{1, 1}, {3, 31}, {5, 33}, {7, 100}, {2, 961}}) {
            int rows = rc[0], cols = rc[1];
            float[] x = new float[rows * cols];
            for (int i = 0; i < x.length; i++) {
                // a heavy tail now and then, as real weights have
                x[i] = (float) (rnd.nextGaussian() * (rnd.nextInt(50) == 0 ? 8 : 1));
            }
            Weight q = matrix("w", rows, cols, x).quantize(f);
            assertThat(q.byteSize()).isEqualTo(rows * f.rowBytes(cols) + (f == QuantFormat.INT8 ? 4L * rows : 0));
            float[] back = q.toTensor().data();
            int block = f == QuantFormat.INT8 ? cols : 32;
            for (int r = 0; r < rows; r++) {
                for (int b0 = 0; b0 < cols; b0 += block) {
                    int n = Math.min(block, cols - b0);
                    double limit = bound(f, x, r * cols + b0, n);
                    for (int i = r * cols + b0; i < r * cols + b0 + n; i++) {
                        assertThat((double) Math.abs(back[i] - x[i])).as("%s [%d, %d] of %d x %d", f, r, i - r * cols, rows, cols)
                                .isLessThanOrEqualTo(limit);
                    }
                }
            }
            // a slice that starts and ends inside blocks reads the same values as the whole row
            if (cols > 40) {
                float[] slice = new float[cols - 12];
                q.widen((long) (rows - 1) * cols + 5, slice, 0, slice.length);
                for (int i = 0; i < slice.length; i++) {
                    assertThat(slice[i]).isEqualTo(back[(rows - 1) * cols + 5 + i]);
                }
            }
        }
    }

    static Stream<Arguments> products() {
        // m, k, n: one row, tile edges (6 rows, 64 columns), k off the 32-value blocks, past a KC step (960)
        int[][] mkn = {{1, 32, 64}, {1, 1, 1}, {6, 13, 207}, {13, 207, 6}, {70, 600, 257}, {2, 1000, 13}, {125, 33, 130}};
        return Stream.of(QuantFormat.values()).flatMap(f -> Stream.of(mkn).map(s -> Arguments.of(f, s[0], s[1], s[2])));
    }

    @ParameterizedTest(name = "{0} m={1} k={2} n={3}")
    @MethodSource("products")
    void productOnPackedBlocksMatchesDequantizedTwin(QuantFormat f, int m, int k, int n) {
        SplittableRandom rnd = new SplittableRandom(31L * m + 7L * k + n + f.ordinal());
        float[] x = MatMulTest.random(rnd, m * k);
        Weight full = Weight.of("w", Tensor.of(MatMulTest.random(rnd, n * k), n, k));
        float[] bias = MatMulTest.random(rnd, n);
        Weight q = full.quantize(f);
        Tensor dequantized = q.toTensor();

        // the twin: the whole matrix dequantized, then the fp32 kernel; the product widens the same values slice by slice
        float[] twin = new float[m * n];
        MatMul.gemm(x, 0, m, k, Weight.of("w", dequantized), bias, twin, 0);
        Parallel.setThreads(1);
        float[] one = new float[m * n];
        MatMul.gemm(x, 0, m, k, q, bias, one, 0);
        Parallel.setThreads(2);
        float[] two = new float[m * n];
        MatMul.gemm(x, 0, m, k, q, bias, two, 0);
        assertThat(one).as("packed vs dequantized twin, bit for bit").isEqualTo(twin);
        assertThat(two).as("2 threads vs 1").isEqualTo(one);
        // and against the double-precision product of the dequantized values
        MatMulTest.assertClose(one, MatMulTest.scalarTwin(x, m, k, dequantized.data(), n, bias), 1e-11, 1e-4f * (float) Math.sqrt(k));
    }

    @Test
    void quantizedWeightsRefuseOtherShapesAndRawBytes() {
        Weight q = matrix("blocks.0.ff.weight", 2, 32, new float[64]).quantize(QuantFormat.Q4_0);
        for (float v : q.toTensor().data()) {
            assertThat(Math.abs(v)).as("an all-zero block (d = -0)").isEqualTo(0f);
        }
        assertThat(q.reshape(2, 32)).isSameAs(q);
        assertThatThrownBy(() -> q.reshape(64)).hasMessageContaining("blocks.0.ff.weight").hasMessageContaining("quantized");
        assertThatThrownBy(q::segment).hasMessageContaining("Q4_0");
        assertThatThrownBy(() -> Weight.of("v", Tensor.zeros(4)).quantize(QuantFormat.INT8)).hasMessageContaining("only matrices");
        assertThatThrownBy(() -> QuantizedMatrix.ofBlocks(QuantFormat.Q4_0, 2, 32, MemorySegment.ofArray(new byte[35])))
                .hasMessageContaining("needs 36 bytes");
        assertThat(q.toString()).contains("Q4_0");
    }

    @Test
    void parsesTheOptionValues() {
        assertThat(QuantFormat.parse("--weights", "INT8")).isEqualTo(QuantFormat.INT8);
        assertThat(QuantFormat.parse("--weights", "q4")).isEqualTo(QuantFormat.Q4_0);
        assertThat(QuantFormat.parse("--weights", "q4_1")).isEqualTo(QuantFormat.Q4_1);
        assertThatThrownBy(() -> QuantFormat.parse("--weights", "fp8")).hasMessageContaining("--weights").hasMessageContaining("fp8");
    }
}
