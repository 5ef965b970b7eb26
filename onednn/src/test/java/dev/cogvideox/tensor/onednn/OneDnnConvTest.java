package dev.cogvideox.tensor.onednn;

import dev.cogvideox.tensor.Conv3d;
import dev.cogvideox.tensor.ErrorStats;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The bf16 convolution is the convolution of the bf16-rounded input and weights, summed in fp32: against the Java
 * kernel on the rounded operands it differs by summation order only, in every mode (write, accumulate, in place),
 * with strides, asymmetric padding, leading frames, 2D weights, a batch, and slabs of one frame.
 */
class OneDnnConvTest {
    private static OneDnnKernels kernels;
    private static OneDnnConv oneFrameSlabs;

    @BeforeAll
    static void load() {
        assumeTrue(OneDnnKernels.cpuHasBf16() || OneDnnKernelsTest.cpuFlag("avx512f"), "no AVX-512 on this CPU: oneDNN has no bf16 convolution for it");
        kernels = OneDnnKernels.loadAnyCpu(0);
        oneFrameSlabs = new OneDnnConv(OneDnnLibrary.get(), 1);
    }

    record Case(int n, int cin, int cout, int t, int tf, int h, int w, int[] kernel, Conv3d.Geometry g, boolean bias) {
    }

    private static final Case[] CASES = {
            new Case(1, 8, 16, 3, 2, 10, 12, new int[] {3, 3, 3}, Conv3d.Geometry.same(1), true),          // causal 3x3x3
            new Case(1, 8, 8, 4, 0, 11, 9, new int[] {3, 3, 3}, new Conv3d.Geometry(1, 2, 2, 0, 1, 0, 1), false), // downsampling
            new Case(2, 6, 10, 2, 0, 8, 8, new int[] {3, 3}, Conv3d.Geometry.same(1), true),              // 2D, per frame, batch 2
            new Case(1, 12, 4, 5, 0, 7, 6, new int[] {1, 1, 1}, Conv3d.Geometry.same(0), true),           // 1x1x1
            new Case(1, 4, 8, 5, 0, 9, 9, new int[] {3, 3, 3}, new Conv3d.Geometry(2, 1, 1, 1, 1, 1, 1), true), // time stride 2
    };

    @Test
    void everyModeIsTheConvolutionOfTheRoundedOperands() {
        SplittableRandom random = new SplittableRandom(17);
        for (Case c : CASES) {
            Tensor x = random(random, c.n, c.cin, c.t, c.h, c.w), front = c.tf == 0 ? null : random(random, c.n, c.cin, c.tf, c.h, c.w);
            int[] wShape = c.kernel.length == 3 ? new int[] {c.cout, c.cin, c.kernel[0], c.kernel[1], c.kernel[2]}
                    : new int[] {c.cout, c.cin, c.kernel[0], c.kernel[1]};
            Weight w = Weight.of("conv.weight", random(random, wShape));
            float[] bias = c.bias ? random(random, c.cout).data() : null;
            Tensor expected = Kernels.JAVA.conv3d(rounded(x), front == null ? null : rounded(front), Weight.of("w", rounded(w.toTensor())), bias, c.g);
            assertClose(kernels.conv3d(x, front, w, bias, c.g), expected, c + " write");

            OneDnnConv.Dims d = OneDnnConv.Dims.of(x, front, w, bias, c.g);
            Tensor slabbed = Tensor.zeros(expected.shape());
            oneFrameSlabs.run(x, front, w, bias, c.g, d, slabbed, OneDnnConv.Mode.WRITE);
            assertClose(slabbed, expected, c + " one-frame slabs");

            Tensor base = random(random, expected.shape()), acc = base.copy();
            kernels.conv3dAccumulate(x, front, w, bias, c.g, acc);
            Tensor want = base.copy();
            for (int i = 0; i < want.numel(); i++) {
                want.data()[i] += expected.data()[i];
            }
            assertClose(acc, want, c + " accumulate");
        }
    }

    /** In place, slab by slab from the last frame: each output frame is written once no later slab reads its input. */
    @Test
    void inPlaceOverwritesTheInputFrameBySlab() {
        SplittableRandom random = new SplittableRandom(23);
        Tensor x = random(random, 1, 8, 6, 9, 10), front = random(random, 1, 8, 2, 9, 10);
        Weight w = Weight.of("conv.weight", random(random, 8, 8, 3, 3, 3));
        float[] bias = random(random, 8).data();
        Conv3d.Geometry g = Conv3d.Geometry.same(1);
        Tensor expected = Kernels.JAVA.conv3d(rounded(x), rounded(front), Weight.of("w", rounded(w.toTensor())), bias, g);
        Tensor a = x.copy();
        assertThat(kernels.conv3dInPlace(a, front, w, bias, g)).isSameAs(a);
        assertClose(a, expected, "in place");
        Tensor b = x.copy();
        oneFrameSlabs.run(b, front, w, bias, g, OneDnnConv.Dims.of(b, front, w, bias, g), b, OneDnnConv.Mode.WRITE);
        assertClose(b, expected, "in place, one-frame slabs");
    }

    private static void assertClose(Tensor actual, Tensor expected, String what) {
        ErrorStats e = ErrorStats.of(expected, actual);
        // fp32 sums of up to 216 products of values around 1: differences of summation order only
        assertThat(e.rmsRelative()).as(what).isLessThan(1e-5);
        assertThat(e.worstAbs()).as(what).isLessThan(1e-3);
    }

    private static Tensor rounded(Tensor t) {
        Tensor r = t.copy();
        for (int i = 0; i < r.numel(); i++) {
            r.data()[i] = OneDnnKernelsTest.bf16(r.data()[i]);
        }
        return r;
    }

    private static Tensor random(SplittableRandom random, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = (float) random.nextGaussian();
        }
        return t;
    }
}
