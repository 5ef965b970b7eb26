package dev.cogvideox.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Ops}, {@link Norms}, {@link Rope} and {@link Layout} against scalar twins written from the definitions, in
 * the spirit of ggml's test-backend-ops: every kernel over a list of awkward shapes (one row, one channel, odd
 * widths, sizes just past the vector length and the thread pool's grains of 64 rows and 16384 elements), seeded
 * inputs. Element-wise kernels must match a float twin that does the same operations exactly; the norms and the
 * transcendental activations a double twin to float rounding.
 */
class KernelCasesTest {
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

    @ParameterizedTest
    @MethodSource("shapes")
    void normsMatchTheirDoubleTwins(int[] s) {
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
        assertClose("layer norm", Norms.layerNorm(x, w, bias, 1e-5f).data(), ln, 1e-5);
        assertClose("layer norm without affine", Norms.layerNorm(x, null, null, 1e-5f).data(), plain, 1e-5);
        assertClose("rms norm", Norms.rmsNorm(x, w, 1e-6f).data(), rms, 1e-5);
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
