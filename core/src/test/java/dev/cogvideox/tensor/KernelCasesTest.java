package dev.cogvideox.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The kernels against scalar twins written from the definitions, in the spirit of ggml's test-backend-ops: every
 * kernel over a list of awkward shapes (one row, one channel, odd widths, sizes just past the vector length, the
 * tiles and the thread pool's grains of 64 rows and 16384 elements), seeded inputs. What sits behind {@link Kernels}
 * (the products for every weight format, attention dense, biased and block-sparse, the 3D convolution forward and
 * backward, the group, layer and RMS norms) runs on every provider of {@link #providers()}; {@link Ops}, {@link Rope}
 * and {@link Layout} are static. Element-wise kernels must match a float twin that does the same operations exactly;
 * the others a double twin to float rounding.
 */
class KernelCasesTest {
    /** The providers every interface case runs on: a new provider is held to the same cases by naming it here. */
    static List<Kernels> providers() {
        return List.of(Kernels.JAVA);
    }

    /** Every case on every provider: arguments {@code (provider, case...)}. */
    private static Stream<Arguments> onProviders(Stream<Object[]> cases) {
        List<Object[]> list = cases.toList();
        return providers().stream().flatMap(k -> list.stream().map(c -> {
            Object[] args = new Object[c.length + 1];
            args[0] = k;
            System.arraycopy(c, 0, args, 1, c.length);
            return Arguments.of(args);
        }));
    }

    static Stream<Arguments> shapesOnProviders() {
        return onProviders(Arrays.stream(SHAPES).map(s -> new Object[]{s}));
    }

    /** {@code [B, L, C]} shapes: single rows and channels, odd sizes, and sizes past 64 rows and 16384 elements. */
    private static final int[][] SHAPES = {{1, 1, 1}, {1, 1, 17}, {1, 5, 3}, {3, 1, 65}, {2, 67, 13}, {3, 130, 65}, {1, 257, 64}};

    static List<int[]> shapes() {
        return Arrays.asList(SHAPES);
    }

    private static Tensor randn(SplittableRandom rng, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = (float) (rng.nextGaussian() * 2);
        }
        return t;
    }

    private static SplittableRandom rng(int[] shape) {
        return new SplittableRandom(Arrays.hashCode(shape));
    }

    /** {@code |a - b| <= tol * (1 + |b|)} everywhere. */
    private static void assertClose(String what, float[] actual, double[] expected, double tol) {
        assertThat(actual).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            if (Math.abs(actual[i] - expected[i]) > tol * (1 + Math.abs(expected[i]))) {
                throw new AssertionError(what + "[" + i + "] = " + actual[i] + ", the twin gives " + expected[i]);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void elementwiseOpsMatchTheirFloatTwins(int[] s) {
        SplittableRandom rng = rng(s);
        Tensor a = randn(rng, s), b = randn(rng, s);
        float[] ad = a.data(), bd = b.data();
        int n = ad.length;
        float[] sum = new float[n], prod = new float[n], scaled = new float[n], shifted = new float[n], post = new float[n];
        for (int i = 0; i < n; i++) {
            sum[i] = ad[i] + bd[i];
            prod[i] = ad[i] * bd[i];
            scaled[i] = ad[i] * 0.37f;
            shifted[i] = ad[i] + -1.25f;
            post[i] = Math.min(1f, Math.max(0f, ad[i] / 2f + 0.5f));
        }
        assertThat(Ops.add(a, b).data()).containsExactly(sum);
        assertThat(Ops.mul(a, b).data()).containsExactly(prod);
        assertThat(Ops.scale(a, 0.37f).data()).containsExactly(scaled);
        Tensor c = a.copy();
        Ops.addInPlace(c, b);
        assertThat(c.data()).containsExactly(sum);
        c = a.copy();
        Ops.addScalarInPlace(c, -1.25f);
        assertThat(c.data()).containsExactly(shifted);
        c = a.copy();
        Ops.postprocessInPlace(c);
        assertThat(c.data()).containsExactly(post);
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void activationsMatchTheirDoubleTwins(int[] s) {
        Tensor x = randn(rng(s), s);
        double[] silu = new double[x.numel()], gelu = new double[x.numel()];
        for (int i = 0; i < silu.length; i++) {
            double v = x.data()[i];
            silu[i] = v / (1 + Math.exp(-v));
            gelu[i] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
        }
        assertClose("silu", Ops.silu(x).data(), silu, 1e-6);
        assertClose("gelu", Ops.geluTanh(x).data(), gelu, 1e-6);
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void perSampleModulationAndGatesMatchTheirFloatTwins(int[] s) {
        SplittableRandom rng = rng(s);
        int b = s[0], l = s[1], c = s[2], split = l / 3;
        Tensor x = randn(rng, s), y = randn(rng, s);
        Tensor scaleA = randn(rng, b, c), shiftA = randn(rng, b, c), scaleB = randn(rng, b, c), shiftB = randn(rng, b, c);
        float[] modulated = new float[x.numel()], gated = new float[x.numel()], rows = new float[x.numel()], perSample = new float[x.numel()];
        int firstRow = (b * l) / 4, count = b * l - firstRow - (b * l) / 5;
        Tensor row = randn(rng, c), sampleRows = randn(rng, b, c);
        for (int bb = 0; bb < b; bb++) {
            for (int t = 0; t < l; t++) {
                boolean first = t < split;
                int flat = bb * l + t;
                for (int i = 0; i < c; i++) {
                    int o = flat * c + i, m = bb * c + i;
                    float xv = x.data()[o];
                    modulated[o] = xv * (1f + (first ? scaleA : scaleB).data()[m]) + (first ? shiftA : shiftB).data()[m];
                    boolean inRange = flat >= firstRow && flat < firstRow + count;
                    gated[o] = inRange ? xv + (first ? scaleA : scaleB).data()[m] * y.data()[(flat - firstRow) * c + i] : xv;
                    rows[o] = xv + row.data()[i];
                    perSample[o] = xv + sampleRows.data()[m];
                }
            }
        }
        Tensor t = x.copy();
        Ops.modulateSegmentsInPlace(t, split, scaleA, shiftA, scaleB, shiftB);
        assertThat(t.data()).containsExactly(modulated);
        t = x.copy();
        Ops.addGatedSegmentsInPlace(t, split, scaleA, scaleB, y.data(), firstRow, count);
        assertThat(t.data()).containsExactly(gated);
        t = x.copy();
        Ops.addRowsInPlace(t, row);
        assertThat(t.data()).containsExactly(rows);
        t = x.copy();
        Ops.addRowsInPlace(t, sampleRows);
        assertThat(t.data()).containsExactly(perSample);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("shapesOnProviders")
    void normsMatchTheirDoubleTwins(Kernels kernels, int[] s) {
        SplittableRandom rng = rng(s);
        int c = s[2];
        Tensor x = randn(rng, s), w = randn(rng, c), bias = randn(rng, c);
        for (int i = 0; i < x.numel(); i++) {
            x.data()[i] += 3f;                                                          // an offset the mean must remove
        }
        int rows = x.numel() / c;
        double[] ln = new double[x.numel()], plain = new double[x.numel()], rms = new double[x.numel()];
        for (int r = 0; r < rows; r++) {
            double mean = 0, sq = 0, ms = 0;
            for (int i = 0; i < c; i++) {
                mean += x.data()[r * c + i];
            }
            mean /= c;
            for (int i = 0; i < c; i++) {
                double v = x.data()[r * c + i];
                sq += (v - mean) * (v - mean);
                ms += v * v;
            }
            double inv = 1 / Math.sqrt(sq / c + 1e-5), invRms = 1 / Math.sqrt(ms / c + 1e-6);
            for (int i = 0; i < c; i++) {
                double v = x.data()[r * c + i];
                plain[r * c + i] = (v - mean) * inv;
                ln[r * c + i] = plain[r * c + i] * w.data()[i] + bias.data()[i];
                rms[r * c + i] = w.data()[i] * v * invRms;
            }
        }
        assertClose("layer norm", kernels.layerNorm(x, w, bias, 1e-5f).data(), ln, 1e-5);
        assertClose("layer norm without affine", kernels.layerNorm(x, null, null, 1e-5f).data(), plain, 1e-5);
        assertClose("rms norm", kernels.rmsNorm(x, w, 1e-6f).data(), rms, 1e-5);
    }

    /** RoPE shapes {@code {B, L, heads, head_dim, start}}: one head, one pair, odd heads, tables shorter than L. */
    static List<int[]> ropeShapes() {
        return List.of(new int[]{1, 1, 1, 2, 0}, new int[]{2, 9, 3, 6, 4}, new int[]{1, 70, 2, 18, 1}, new int[]{3, 130, 5, 8, 0});
    }

    @ParameterizedTest
    @MethodSource("ropeShapes")
    void ropeAndItsTransposeMatchTheirTwins(int[] s) {
        SplittableRandom rng = rng(s);
        int b = s[0], l = s[1], heads = s[2], d = s[3], start = s[4], n = l - start;
        Tensor x = randn(rng, b, l, heads * d), cos = randn(rng, n, d), sin = randn(rng, n, d);
        float[] fwd = x.data().clone(), back = x.data().clone();
        for (int bb = 0; bb < b; bb++) {
            for (int t = 0; t < n; t++) {
                for (int h = 0; h < heads; h++) {
                    for (int i = 0; i < d; i += 2) {
                        int o = ((bb * l + start + t) * heads + h) * d + i, k = t * d + i;
                        float x0 = x.data()[o], x1 = x.data()[o + 1];
                        float c0 = cos.data()[k], c1 = cos.data()[k + 1], s0 = sin.data()[k], s1 = sin.data()[k + 1];
                        fwd[o] = x0 * c0 - x1 * s0;
                        fwd[o + 1] = x1 * c1 + x0 * s1;
                        back[o] = x0 * c0 + x1 * s1;                                     // the transposed 2x2 map
                        back[o + 1] = x1 * c1 - x0 * s0;
                    }
                }
            }
        }
        Tensor y = x.copy();
        Rope.applyInPlace(y, heads, start, cos, sin);
        assertThat(y.data()).containsExactly(fwd);
        y = x.copy();
        Rope.applyTransposedInPlace(y, heads, start, cos, sin);
        assertThat(y.data()).containsExactly(back);
    }

    /** Rank-1 to rank-5 shapes with ones and odd sizes, the last past 256 rows of the permute grain. */
    static List<int[]> layoutShapes() {
        return List.of(new int[]{7}, new int[]{1, 5}, new int[]{3, 1, 4}, new int[]{2, 3, 5, 7}, new int[]{2, 1, 3, 4, 5}, new int[]{3, 67, 2, 9});
    }

    @ParameterizedTest
    @MethodSource("layoutShapes")
    void layoutOpsMatchIndexTwins(int[] s) {
        SplittableRandom rng = rng(s);
        Tensor x = randn(rng, s);
        int r = s.length;
        for (int dim = 0; dim < r; dim++) {
            int size = s[dim], start = size / 3, len = size - start - size / 4;
            Tensor part = Layout.narrow(x, dim, start, len);
            int[] ps = s.clone();
            ps[dim] = len;
            assertThat(part.shape()).containsExactly(ps);
            float[] narrowed = new float[part.numel()];
            for (int i = 0; i < narrowed.length; i++) {
                int[] idx = unravel(i, ps);
                idx[dim] += start;
                narrowed[i] = x.data()[ravel(idx, s)];
            }
            assertThat(part.data()).containsExactly(narrowed);
            Tensor pasted = Tensor.zeros(s);
            Layout.paste(pasted, dim, start, part);
            Tensor again = Layout.narrow(pasted, dim, start, len);
            assertThat(again.data()).containsExactly(part.data());

            Tensor other = randn(rng, ps);
            Tensor cat = Layout.cat(dim, x, other);
            int[] cs = s.clone();
            cs[dim] = size + len;
            assertThat(cat.shape()).containsExactly(cs);
            float[] joined = new float[cat.numel()];
            for (int i = 0; i < joined.length; i++) {
                int[] idx = unravel(i, cs);
                boolean first = idx[dim] < size;
                if (!first) {
                    idx[dim] -= size;
                }
                joined[i] = first ? x.data()[ravel(idx, s)] : other.data()[ravel(idx, ps)];
            }
            assertThat(cat.data()).containsExactly(joined);
        }
        for (int trial = 0; trial < 4; trial++) {
            int[] order = shuffledAxes(rng, r);
            Tensor p = Layout.permute(x, order);
            int[] out = new int[r];
            for (int i = 0; i < r; i++) {
                out[i] = s[order[i]];
            }
            assertThat(p.shape()).containsExactly(out);
            float[] permuted = new float[p.numel()];
            for (int i = 0; i < permuted.length; i++) {
                int[] idx = unravel(i, out), src = new int[r];
                for (int k = 0; k < r; k++) {
                    src[order[k]] = idx[k];
                }
                permuted[i] = x.data()[ravel(src, s)];
            }
            assertThat(p.data()).as("permute %s", Arrays.toString(order)).containsExactly(permuted);
        }
    }

    @ParameterizedTest
    @MethodSource("layoutShapes")
    void blendMatchesItsTwin(int[] s) {
        SplittableRandom rng = rng(s);
        int dim = s.length - 1, extent = Math.max(1, s[dim] / 2);
        Tensor a = randn(rng, s), b = randn(rng, s);
        float[] want = b.data().clone();
        for (int i = 0; i < b.numel(); i++) {
            int[] idx = unravel(i, s);
            int e = idx[dim];
            if (e < extent) {
                int[] from = idx.clone();
                from[dim] = s[dim] - extent + e;
                want[i] = a.data()[ravel(from, s)] * (float) (1 - (double) e / extent) + b.data()[i] * (float) ((double) e / extent);
            }
        }
        Layout.blend(a, b, dim, extent);
        assertThat(b.data()).containsExactly(want);
    }

    /** Product shapes {@code {m, k, n}}: one element, tile edges (6 rows, 64 columns), a block (32) of a quantized row, odd sizes. */
    private static final int[][] PRODUCTS = {{1, 1, 1}, {6, 13, 207}, {13, 207, 6}, {70, 600, 257}, {3, 64, 130}, {7, 33, 65}};

    static Stream<Arguments> products() {
        return onProviders(Stream.of("F32", "BF16", "F16", "INT8", "Q8_0", "Q4_0", "Q4_1")
                .flatMap(f -> Arrays.stream(PRODUCTS).map(s -> new Object[]{f, s})));
    }

    /** A seeded {@code [n, k]} weight in {@code format}: a float dtype, or quantized from fp32. */
    private static Weight weight(String format, int n, int k, SplittableRandom rnd) {
        return switch (format) {
            case "F32", "BF16", "F16" -> MatMulTest.weight(DType.valueOf(format), n, k, rnd);
            default -> MatMulTest.weight(DType.F32, n, k, rnd).quantize(QuantFormat.valueOf(format));
        };
    }

    /**
     * {@code linear} (leading dimensions kept) and {@code gemm} (operands at offsets, the rest of c untouched) against the
     * double product of the weight's own values (widened or dequantized), for every stored and quantized format.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("products")
    void productsMatchTheirDoubleTwins(Kernels kernels, String format, int[] mkn) {
        int m = mkn[0], k = mkn[1], n = mkn[2];
        SplittableRandom rnd = new SplittableRandom(Arrays.hashCode(mkn) * 31L + format.hashCode());
        Weight w = weight(format, n, k, rnd);
        float[] bias = MatMulTest.random(rnd, n);
        float[] x = MatMulTest.random(rnd, m * k);
        float[] want = MatMulTest.scalarTwin(x, m, k, w.toTensor().data(), n, bias);
        float tol = 1e-4f * (float) Math.sqrt(k);

        Tensor y = kernels.linear(Tensor.of(x.clone(), 1, m, k), w, Weight.of("b", Tensor.of(bias.clone(), n)));
        assertThat(y.shape()).containsExactly(1, m, n);
        MatMulTest.assertClose(y.data(), want, 1e-11, tol);

        int aOff = 5, cOff = 3;
        float[] a = new float[aOff + m * k];
        System.arraycopy(x, 0, a, aOff, m * k);
        float[] c = MatMulTest.random(rnd, cOff + m * n + 2);
        float[] before = c.clone();
        kernels.gemm(a, aOff, m, k, w, bias, c, cOff);
        MatMulTest.assertClose(Arrays.copyOfRange(c, cOff, cOff + m * n), want, 1e-11, tol);
        assertThat(Arrays.copyOfRange(c, 0, cOff)).containsExactly(Arrays.copyOfRange(before, 0, cOff));
        assertThat(Arrays.copyOfRange(c, cOff + m * n, c.length)).containsExactly(Arrays.copyOfRange(before, cOff + m * n, c.length));
    }

    static Stream<Arguments> attentionShapes() {
        // batch, lq, lk, heads, head dim: one of each, tile edges (64 queries, 6 keys or dims), a key block (120), a
        // task (256 queries), odd head sizes
        return onProviders(Stream.of(new int[]{1, 1, 1, 1, 8}, new int[]{2, 6, 13, 2, 16}, new int[]{1, 65, 121, 2, 64},
                new int[]{2, 207, 6, 1, 13}, new int[]{1, 257, 130, 2, 5}).map(s -> new Object[]{s}));
    }

    /**
     * Dense, with an additive bias, and block-sparse (odd heads attend keys {@code [0, lk/2)} and the last key, even
     * heads all): each against {@code softmax(scale q k^T + bias) v} in double, the sparse one with -inf outside its keys.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("attentionShapes")
    void attentionMatchesItsDoubleTwin(Kernels kernels, int[] s) {
        int b = s[0], lq = s[1], lk = s[2], heads = s[3], d = s[4], width = heads * d;
        SplittableRandom rnd = new SplittableRandom(Arrays.hashCode(s));
        Tensor q = Tensor.of(MatMulTest.random(rnd, b * lq * width), b, lq, width);
        Tensor k = Tensor.of(MatMulTest.random(rnd, b * lk * width), b, lk, width);
        Tensor v = Tensor.of(MatMulTest.random(rnd, b * lk * width), b, lk, width);
        float scale = 4f / (float) Math.sqrt(d);                           // scores of a few units: a peaked softmax
        float[] bias = MatMulTest.random(rnd, heads * lq * lk);
        for (int i = 0; i < bias.length; i++) {
            bias[i] *= 3f;
        }
        float tol = 2e-5f;
        MatMulTest.assertClose(kernels.attend(q, k, v, heads, scale, null, null).data(),
                AttentionTest.scalarTwin(q.data(), k.data(), v.data(), b, lq, lk, heads, d, scale, null), 1e-11, tol);
        MatMulTest.assertClose(kernels.attend(q, k, v, heads, scale, Tensor.of(bias, heads, lq, lk), null).data(),
                AttentionTest.scalarTwin(q.data(), k.data(), v.data(), b, lq, lk, heads, d, scale, bias), 1e-11, tol);
        int[] half = lk == 1 ? new int[]{0, 1} : new int[]{0, lk / 2, lk - 1, lk};
        float[] mask = new float[heads * lq * lk];
        for (int h = 1; h < heads; h += 2) {
            for (int i = 0; i < lq; i++) {
                for (int j = lk / 2; j < lk - 1; j++) {
                    mask[(h * lq + i) * lk + j] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        Attention.KeySelection odd = (h, i0, n) -> h % 2 == 1 ? half : null;
        MatMulTest.assertClose(kernels.attend(q, k, v, heads, scale, null, odd).data(),
                AttentionTest.scalarTwin(q.data(), k.data(), v.data(), b, lq, lk, heads, d, scale, mask), 1e-11, tol);
    }

    static Stream<Arguments> convolutions() {
        return onProviders(Conv3dTest.cases().map(c -> new Object[]{c}));
    }

    /** The case's weight: per-frame 2D ({@code [Cout, Cin, kh, kw]}) where the case allows it, as the 2D convolutions store theirs. */
    private static Tensor convWeight(Random rnd, Conv3dTest.Case c) {
        return c.kt() == 1 && c.tf() == 0 && c.st() == 1 ? Conv3dTest.random(rnd, c.cout(), c.cin(), c.kh(), c.kw())
                : Conv3dTest.random(rnd, c.cout(), c.cin(), c.kt(), c.kh(), c.kw());
    }

    /**
     * {@code conv3d} and {@code conv3dAccumulate} against the 7-deep double definition; the backward (time stride 1, all
     * the VAE has) against the forward it differentiates: for the linear map {@code y = conv(p, w)},
     * {@code <y, g> = <p, dP(g)> = <w, dW(g)>} and {@code dBias} sums g over the positions, all in double.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("convolutions")
    void convolutionsMatchTheirDoubleTwin(Kernels kernels, Conv3dTest.Case c) {
        Random rnd = new Random(c.name().hashCode());
        Tensor x = Conv3dTest.random(rnd, c.n(), c.cin(), c.t(), c.h(), c.w());
        Tensor front = c.tf() == 0 ? null : Conv3dTest.random(rnd, c.n(), c.cin(), c.tf(), c.h(), c.w());
        Tensor wt = convWeight(rnd, c);
        float[] bias = Conv3dTest.random(rnd, c.cout()).data();
        Conv3d.Geometry g = new Conv3d.Geometry(c.st(), c.sh(), c.sw(), c.pt(), c.pb(), c.pl(), c.pr());
        Weight w = Weight.of("w", wt);
        Tensor w5 = wt.reshape(c.cout(), c.cin(), c.kt(), c.kh(), c.kw());

        Tensor want = Conv3dTest.naive(x, front, w5, bias, g);
        Tensor got = kernels.conv3d(x, front, w, bias, g);
        assertThat(got.shape()).containsExactly(want.shape());
        assertThat(Conv3dTest.normalisedError(got, want)).as("forward").isLessThan(1e-11);
        Tensor out = Conv3dTest.random(rnd, want.shape());
        Tensor sum = Ops.add(out, want);
        kernels.conv3dAccumulate(x, front, w, bias, g, out);
        assertThat(Conv3dTest.normalisedError(out, sum)).as("accumulate").isLessThan(1e-11);

        if (c.st() != 1) {
            return;
        }
        Tensor grad = Conv3dTest.random(rnd, want.shape());
        double yg = dot(Conv3dTest.naive(x, front, w5, null, g), grad);
        Tensor padded = front == null ? x : Layout.cat(2, front, x);
        Tensor dp = kernels.conv3dInputGrad(grad, w, g, c.tf() + c.t(), c.h(), c.w());
        assertThat(dp.shape()).containsExactly(padded.shape());
        Tensor dw = kernels.conv3dWeightGrad(x, front, grad, wt.shape(), g);
        assertThat(dw.shape()).containsExactly(wt.shape());
        double scale = Math.sqrt(grad.numel() * (double) c.cin() * c.kt() * c.kh() * c.kw());     // the sums' typical size
        assertThat(Math.abs(dot(padded, dp) - yg)).as("<p, dP(g)> = <y, g>").isLessThan(1e-5 * scale);
        assertThat(Math.abs(dot(wt, dw) - yg)).as("<w, dW(g)> = <y, g>").isLessThan(1e-5 * scale);
        Tensor db = kernels.conv3dBiasGrad(grad);
        int plane = grad.numel() / (c.n() * c.cout());
        for (int co = 0; co < c.cout(); co++) {
            double s = 0;
            for (int b = 0; b < c.n(); b++) {
                for (int i = 0; i < plane; i++) {
                    s += grad.data()[(b * c.cout() + co) * plane + i];
                }
            }
            assertThat((double) db.data()[co]).as("dBias[%d]", co).isCloseTo(s, within(1e-5 * (1 + Math.abs(s))));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void inPlaceConvolutionsMatchTheirDoubleTwin(Kernels kernels) {
        Random rnd = new Random(13);
        Tensor x = Conv3dTest.random(rnd, 2, 5, 3, 7, 9);
        Tensor front = Conv3dTest.random(rnd, 2, 5, 2, 7, 9);
        Tensor w3 = Conv3dTest.random(rnd, 5, 5, 3, 3, 3), w2 = Conv3dTest.random(rnd, 5, 5, 3, 3);
        float[] bias = Conv3dTest.random(rnd, 5).data();
        Conv3d.Geometry g = Conv3d.Geometry.same(1);
        Tensor want3 = Conv3dTest.naive(x, front, w3, bias, g), want2 = Conv3dTest.naive(x, null, w2.reshape(5, 5, 1, 3, 3), bias, g);
        Tensor x2 = x.copy();
        assertThat(Conv3dTest.normalisedError(kernels.conv3dInPlace(x, front, Weight.of("w3", w3), bias, g), want3)).isLessThan(1e-11);
        assertThat(Conv3dTest.normalisedError(kernels.conv3dInPlace(x2, null, Weight.of("w2", w2), bias, g), want2)).isLessThan(1e-11);
    }

    static Stream<Arguments> groupNorms() {
        // {N, C, T, H, W, groups}: one channel, one channel of two elements per group, odd planes, a plane past the thread grain
        return onProviders(Stream.of(new int[]{1, 1, 1, 1, 1, 1}, new int[]{2, 12, 3, 5, 7, 4}, new int[]{1, 6, 5, 8, 6, 3},
                new int[]{3, 4, 1, 1, 2, 4}, new int[]{1, 8, 2, 67, 131, 2}).map(s -> new Object[]{s}));
    }

    /**
     * Group norm, plain and with its fused epilogues (a modulation read from a coarser grid through index maps, SiLU,
     * written in place), against the double definition; statistics over channels offset far from zero.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("groupNorms")
    void groupNormMatchesItsDoubleTwin(Kernels kernels, int[] s) {
        Random rnd = new Random(Arrays.hashCode(s));
        int n = s[0], c = s[1], t = s[2], h = s[3], w = s[4], groups = s[5];
        Tensor x = Conv3dTest.random(rnd, n, c, t, h, w);
        for (int i = 0; i < x.numel(); i++) {
            x.data()[i] = x.data()[i] * 2 + 5;
        }
        Tensor weight = Conv3dTest.random(rnd, c), bias = Conv3dTest.random(rnd, c);
        DoubleTwins.Dims dims = new DoubleTwins.Dims(n, c, t, h, w);
        double[] xd = toDouble(x), wd = toDouble(weight), bd = toDouble(bias);

        Tensor out = Tensor.zeros(x.shape());
        kernels.groupNorm(x, groups, weight, bias, 1e-6f, null, false, out);
        assertClose("group norm", out.data(),
                DoubleTwins.groupNorm(xd, dims, groups, wd, bd, 1e-6, null, null, null, null, null, null, false), 1e-5);

        int mt = (t + 1) / 2, mh = (h + 1) / 2, mw = (w + 2) / 3;
        Tensor scale = Conv3dTest.random(rnd, n, c, mt, mh, mw), shift = Conv3dTest.random(rnd, n, c, mt, mh, mw);
        int[] fi = Resample.causalFrameIndex(mt, t), ri = Resample.nearestIndex(mh, h), ci = Resample.nearestIndex(mw, w);
        double[] want = DoubleTwins.groupNorm(xd, dims, groups, wd, bd, 1e-6, toDouble(scale), toDouble(shift),
                new DoubleTwins.Dims(n, c, mt, mh, mw), fi, ri, ci, true);
        kernels.groupNorm(x, groups, weight, bias, 1e-6f, new GroupNorm.Modulation(scale, shift, fi, ri, ci), true, x);
        assertClose("modulated group norm and SiLU, in place", x.data(), want, 1e-5);
    }

    private static double dot(Tensor a, Tensor b) {
        double s = 0;
        for (int i = 0; i < a.numel(); i++) {
            s += (double) a.data()[i] * b.data()[i];
        }
        return s;
    }

    private static double[] toDouble(Tensor t) {
        double[] d = new double[t.numel()];
        for (int i = 0; i < d.length; i++) {
            d[i] = t.data()[i];
        }
        return d;
    }

    private static int[] shuffledAxes(SplittableRandom rng, int r) {
        List<Integer> axes = new ArrayList<>();
        for (int i = 0; i < r; i++) {
            axes.add(i);
        }
        int[] order = new int[r];
        for (int i = 0; i < r; i++) {
            order[i] = axes.remove(rng.nextInt(axes.size()));
        }
        return order;
    }

    private static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int i = shape.length - 1; i >= 0; i--) {
            idx[i] = flat % shape[i];
            flat /= shape[i];
        }
        return idx;
    }

    private static int ravel(int[] idx, int[] shape) {
        int flat = 0;
        for (int i = 0; i < shape.length; i++) {
            flat = flat * shape[i] + idx[i];
        }
        return flat;
    }
}
