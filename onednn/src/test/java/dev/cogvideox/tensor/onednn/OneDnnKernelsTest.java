package dev.cogvideox.tensor.onednn;

import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OneDnnKernelsTest {
    private static OneDnnKernels BF16;

    /** oneDNN's bf16 products need AVX-512 at least (emulated there, native with AVX512-BF16 or AMX): elsewhere these skip. */
    @BeforeAll
    static void load() {
        assumeTrue(OneDnnKernels.cpuHasBf16() || cpuFlag("avx512f"), "no AVX-512 on this CPU: oneDNN has no bf16 matmul for it");
        BF16 = OneDnnKernels.loadAnyCpu(0);
    }

    static boolean cpuFlag(String flag) {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/cpuinfo")).contains(" " + flag + " ");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /**
     * The product oneDNN computes is the exact product of the bf16-rounded operands, summed in fp32: against an fp64
     * sum over the same rounded values it is off by fp32 summation error only, whatever the weight's storage, the
     * offsets into the arrays and the bias.
     */
    @Test
    void gemmIsTheProductOfTheBf16RoundedOperands() {
        SplittableRandom random = new SplittableRandom(3);
        int[][] shapes = {{150, 96, 130}, {1, 64, 64}, {37, 200, 3}, {300, 33, 65}};
        for (int[] s : shapes) {
            int m = s[0], k = s[1], n = s[2];
            for (DType storage : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                for (boolean withBias : new boolean[] {false, true}) {
                    int aOff = 5, cOff = 7;
                    float[] a = new float[aOff + m * k + 3], w = new float[n * k], bias = withBias ? new float[n] : null;
                    fill(random, a);
                    fill(random, w);
                    if (bias != null) {
                        fill(random, bias);
                    }
                    Weight weight = weight(w, n, k, storage);
                    float[] c = new float[cOff + m * n + 2];
                    c[0] = 42;
                    c[c.length - 1] = -42;
                    BF16.gemm(a, aOff, m, k, weight, bias, c, cOff);
                    assertThat(c[0]).isEqualTo(42);
                    assertThat(c[c.length - 1]).isEqualTo(-42);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double sum = bias == null ? 0 : bias[j], mag = Math.abs(sum);
                            for (int q = 0; q < k; q++) {
                                double p = (double) bf16(a[aOff + i * k + q]) * bf16(weight.get((long) j * k + q));
                                sum += p;
                                mag += Math.abs(p);
                            }
                            assertThat((double) c[cOff + i * n + j]).as("%s c[%d,%d] of %dx%dx%d, bias %s", storage, i, j, m, k, n, withBias)
                                    .isCloseTo(sum, org.assertj.core.data.Offset.offset(1e-6 * k * mag + 1e-30));
                        }
                    }
                }
            }
        }
    }

    /** bf16 rounding is what costs accuracy: against the fp32 product the error is that of 8-bit mantissas. */
    @Test
    void errorAgainstFp32IsBf16Rounding() {
        SplittableRandom random = new SplittableRandom(5);
        int m = 64, k = 512, n = 96;
        float[] a = new float[m * k], w = new float[n * k];
        fill(random, a);
        fill(random, w);
        Weight weight = Weight.of("w", Tensor.of(w, n, k));
        float[] fp32 = new float[m * n], bf16 = new float[m * n];
        Kernels.JAVA.gemm(a, 0, m, k, weight, null, fp32, 0);
        BF16.gemm(a, 0, m, k, weight, null, bf16, 0);
        double err = 0, ref = 0;
        for (int i = 0; i < m * n; i++) {
            err += Math.pow(bf16[i] - fp32[i], 2);
            ref += Math.pow(fp32[i], 2);
        }
        double rel = Math.sqrt(err / ref);
        // two roundings of relative rms 2^-9 / sqrt(3) each, independent over k terms: about 1.6e-3 of the rms output
        assertThat(rel).isBetween(3e-4, 5e-3);
    }

    /** Products below the threshold, and quantized weights, are the Java kernel's, bit for bit. */
    @Test
    void smallAndQuantizedProductsStayInJava() {
        SplittableRandom random = new SplittableRandom(9);
        OneDnnKernels thresholded = OneDnnKernels.loadAnyCpu(OneDnnKernels.MIN_MACS);
        int m = 16, k = 64, n = 64;
        float[] a = new float[m * k], w = new float[n * k], bias = new float[n];
        fill(random, a);
        fill(random, w);
        fill(random, bias);
        for (Weight weight : new Weight[] {Weight.of("w", Tensor.of(w, n, k)), Weight.of("w", Tensor.of(w, n, k)).quantize(QuantFormat.Q8_0)}) {
            float[] expected = new float[m * n], actual = new float[m * n];
            Kernels.JAVA.gemm(a, 0, m, k, weight, bias, expected, 0);
            (weight.quantFormat() != null ? BF16 : thresholded).gemm(a, 0, m, k, weight, bias, actual, 0);
            assertThat(actual).containsExactly(expected);
        }
    }

    /** linear() keeps the leading dimensions and reports a mismatched weight as the Java kernel does. */
    @Test
    void linearShapesAndErrors() {
        SplittableRandom random = new SplittableRandom(13);
        float[] x = new float[2 * 3 * 40], w = new float[24 * 40];
        fill(random, x);
        fill(random, w);
        Tensor y = BF16.linear(Tensor.of(x, 2, 3, 40), Weight.of("proj.weight", Tensor.of(w, 24, 40)), null);
        assertThat(y.shape()).containsExactly(2, 3, 24);
        assertThatThrownBy(() -> BF16.linear(Tensor.of(x, 2, 3, 40), Weight.of("proj.weight", Tensor.of(w, 40, 24)), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("proj.weight");
    }

    @Test
    void cpuFlags() {
        assertThat(OneDnnKernels.cpuHasBf16("flags\t\t: fpu avx512f avx512_bf16 avx512_vnni")).isTrue();
        assertThat(OneDnnKernels.cpuHasBf16("flags\t\t: fpu amx_bf16 amx_tile")).isTrue();
        assertThat(OneDnnKernels.cpuHasBf16("flags\t\t: fpu avx512f avx512_vnni avx2")).isFalse();
        assertThat(OneDnnKernels.cpuHasBf16("")).isFalse();
    }

    static float bf16(float f) {
        return Float.intBitsToFloat((DType.toBf16(f) & 0xffff) << 16);
    }

    private static void fill(SplittableRandom random, float[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextGaussian() * (1 + (i % 7)));
        }
    }

    /** w [n, k] stored as a native segment of the dtype (as a memory map holds a checkpoint), or on the heap for F32. */
    static Weight weight(float[] w, int n, int k, DType dtype) {
        if (dtype == DType.F32) {
            return Weight.of("w", Tensor.of(w, n, k));
        }
        MemorySegment seg = Arena.ofAuto().allocate((long) w.length * 2, 2);
        for (int i = 0; i < w.length; i++) {
            short bits = dtype == DType.BF16 ? DType.toBf16(w[i]) : Float.floatToFloat16(w[i]);
            seg.setAtIndex(ValueLayout.JAVA_SHORT, i, bits);
        }
        return new Weight("w", dtype, new int[] {n, k}, seg);
    }
}
