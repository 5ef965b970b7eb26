package dev.cogvideox.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Conv3d} against a naive 7-deep scalar twin at awkward sizes, seeded. */
public class Conv3dTest {
    /** One shape: batch, channels, frames (leading + own), size, kernel, strides, padding (top, bottom, left, right). */
    record Case(String name, int n, int cin, int cout, int tf, int t, int h, int w, int kt, int kh, int kw,
                int st, int sh, int sw, int pt, int pb, int pl, int pr) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("1x1x1 pointwise", 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0),
                new Case("causal 3x3x3, 2 leading frames", 1, 6, 13, 2, 1, 7, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                new Case("causal 3x3x3, batch 2, odd sizes", 2, 3, 7, 2, 6, 13, 11, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                new Case("2D stride 2, pad right/bottom", 1, 5, 9, 0, 3, 13, 6, 1, 3, 3, 1, 2, 2, 0, 1, 0, 1),
                new Case("temporal stride 2, no padding", 1, 4, 3, 1, 6, 9, 8, 3, 2, 3, 2, 1, 1, 0, 0, 0, 0),
                new Case("several panels (plane > panel rows)", 1, 13, 33, 2, 3, 33, 37, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                new Case("K in several chunks, wide rows, asymmetric pad", 1, 150, 9, 2, 1, 4, 207, 3, 3, 3, 1, 1, 1, 0, 2, 2, 0),
                new Case("several tile groups, 1x1", 1, 6, 17, 0, 2, 31, 29, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesScalarTwin(Case c) {
        Random rnd = new Random(c.name().hashCode());
        Tensor x = random(rnd, c.n(), c.cin(), c.t(), c.h(), c.w());
        Tensor front = c.tf() == 0 ? null : random(rnd, c.n(), c.cin(), c.tf(), c.h(), c.w());
        Tensor wt = c.kt() == 1 && c.tf() == 0 && c.st() == 1 ? random(rnd, c.cout(), c.cin(), c.kh(), c.kw())
                : random(rnd, c.cout(), c.cin(), c.kt(), c.kh(), c.kw());
        float[] bias = random(rnd, c.cout()).data();
        Conv3d.Geometry g = new Conv3d.Geometry(c.st(), c.sh(), c.sw(), c.pt(), c.pb(), c.pl(), c.pr());

        Tensor got = Conv3d.forward(x, front, Weight.of("w", wt), bias, g);
        Tensor want = naive(x, front, wt.reshape(c.cout(), c.cin(), c.kt(), c.kh(), c.kw()), bias, g);

        assertThat(got.shape()).containsExactly(want.shape());
        assertThat(normalisedError(got, want)).as(c.name()).isLessThan(1e-11);
    }

    @Test
    void bf16WeightsAreWidenedInsideTheKernel() {
        Random rnd = new Random(7);
        Tensor x = random(rnd, 1, 5, 3, 6, 7);
        Tensor wt = random(rnd, 4, 5, 3, 3, 3);
        short[] bits = new short[wt.numel()];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = (short) (Float.floatToRawIntBits(wt.data()[i]) >>> 16);
            wt.data()[i] = Float.intBitsToFloat((bits[i] & 0xffff) << 16);
        }
        Weight bf16 = new Weight("w", DType.BF16, wt.shape(), MemorySegment.ofArray(bits));
        Conv3d.Geometry g = Conv3d.Geometry.same(1);
        assertThat(normalisedError(Conv3d.forward(x, null, bf16, null, g), naive(x, null, wt, null, g))).isLessThan(1e-11);
    }

    @Test
    void sameResultForAnyThreadCount() {
        Random rnd = new Random(11);
        Tensor x = random(rnd, 1, 7, 4, 19, 23);
        Weight w = Weight.of("w", random(rnd, 40, 7, 3, 3, 3));
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            Tensor one = Conv3d.forward(x, null, w, null, Conv3d.Geometry.same(1));
            Parallel.setThreads(3);
            Tensor three = Conv3d.forward(x, null, w, null, Conv3d.Geometry.same(1));
            // no reduction crosses a thread's range; the bound only absorbs MatMul's lane reduction order, which
            // differs between the interpreted Vector API fallback and the C2 intrinsic (about 1 ulp)
            assertThat(normalisedError(three, one)).isLessThan(1e-13);
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void inPlaceCausalAnd2dMatchANewOutput() {
        Random rnd = new Random(13);
        Tensor x = random(rnd, 1, 9, 5, 7, 53);
        Tensor front = random(rnd, 1, 9, 2, 7, 53);
        Weight w3 = Weight.of("w3", random(rnd, 9, 9, 3, 3, 3));
        Weight w2 = Weight.of("w2", random(rnd, 9, 9, 3, 3));
        float[] bias = random(rnd, 9).data();
        Tensor want3 = Conv3d.forward(x, front, w3, bias, Conv3d.Geometry.same(1));
        Tensor want2 = Conv3d.forward(x, null, w2, bias, Conv3d.Geometry.same(1));
        Tensor x2 = x.copy();
        assertThat(Conv3d.inPlace(x, front, w3, bias, Conv3d.Geometry.same(1)).data()).containsExactly(want3.data());
        assertThat(Conv3d.inPlace(x2, null, w2, bias, Conv3d.Geometry.same(1)).data()).containsExactly(want2.data());
        assertThatThrownBy(() -> Conv3d.inPlace(x, null, w3, bias, Conv3d.Geometry.same(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("in place");
    }

    @Test
    void accumulateAddsTheConvolutionToTheOutput() {
        Random rnd = new Random(17);
        Tensor x = random(rnd, 2, 5, 3, 6, 11);
        Tensor front = random(rnd, 2, 5, 2, 6, 11);
        Weight w = Weight.of("w", random(rnd, 19, 5, 3, 3, 3));
        float[] bias = random(rnd, 19).data();
        Tensor conv = Conv3d.forward(x, front, w, bias, Conv3d.Geometry.same(1));
        Tensor out = random(rnd, 2, 19, 3, 6, 11);
        float[] want = out.data().clone();
        for (int i = 0; i < want.length; i++) {
            want[i] += conv.data()[i];
        }
        Conv3d.accumulate(x, front, w, bias, Conv3d.Geometry.same(1), out);
        assertThat(out.data()).containsExactly(want);
    }

    @Test
    void channelMismatchNamesTheWeight() {
        Tensor x = Tensor.zeros(1, 3, 1, 4, 4);
        Weight w = Weight.of("decoder.conv_in.conv.weight", Tensor.zeros(8, 16, 3, 3, 3));
        assertThatThrownBy(() -> Conv3d.forward(x, Tensor.zeros(1, 3, 2, 4, 4), w, null, Conv3d.Geometry.same(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("decoder.conv_in.conv.weight")
                .hasMessageContaining("expects 16 input channels")
                .hasMessageContaining("has 3");
    }

    /** The definition, in double: out[n,co,t,y,x] = b[co] + sum w * in[front ++ x] with zero spatial padding. */
    static Tensor naive(Tensor x, Tensor front, Tensor w, float[] bias, Conv3d.Geometry g) {
        int n = x.dim(0), cin = x.dim(1), t = x.dim(2), h = x.dim(3), wi = x.dim(4);
        int tf = front == null ? 0 : front.dim(2);
        int cout = w.dim(0), kt = w.dim(2), kh = w.dim(3), kw = w.dim(4);
        int to = (tf + t - kt) / g.strideT() + 1;
        int ho = (h + g.padTop() + g.padBottom() - kh) / g.strideH() + 1;
        int wo = (wi + g.padLeft() + g.padRight() - kw) / g.strideW() + 1;
        Tensor out = Tensor.zeros(n, cout, to, ho, wo);
        for (int b = 0; b < n; b++) {
            for (int co = 0; co < cout; co++) {
                for (int ot = 0; ot < to; ot++) {
                    for (int oy = 0; oy < ho; oy++) {
                        for (int ox = 0; ox < wo; ox++) {
                            double s = bias == null ? 0 : bias[co];
                            for (int ci = 0; ci < cin; ci++) {
                                for (int dt = 0; dt < kt; dt++) {
                                    for (int dh = 0; dh < kh; dh++) {
                                        for (int dw = 0; dw < kw; dw++) {
                                            int f = ot * g.strideT() + dt;
                                            int y = oy * g.strideH() + dh - g.padTop();
                                            int xx = ox * g.strideW() + dw - g.padLeft();
                                            if (y < 0 || y >= h || xx < 0 || xx >= wi) {
                                                continue;
                                            }
                                            float v = f < tf ? front.data()[(((b * cin + ci) * tf + f) * h + y) * wi + xx]
                                                    : x.data()[(((b * cin + ci) * t + f - tf) * h + y) * wi + xx];
                                            s += (double) v * w.data()[(((co * cin + ci) * kt + dt) * kh + dh) * kw + dw];
                                        }
                                    }
                                }
                            }
                            out.data()[(((b * cout + co) * to + ot) * ho + oy) * wo + ox] = (float) s;
                        }
                    }
                }
            }
        }
        return out;
    }

    static Tensor random(Random rnd, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = (float) rnd.nextGaussian();
        }
        return t;
    }

    /** {@code mse(a, b) / mse(b, 0)}. */
    public static double normalisedError(Tensor a, Tensor b) {
        double r = ErrorStats.of(b.data(), a.data()).rmsRelative();
        return r * r;
    }
}
