package dev.cogvideox.model.vae;

import dev.cogvideox.io.TensorWeightStore;
import dev.cogvideox.tensor.Conv3d;
import dev.cogvideox.tensor.DoubleTwins;
import dev.cogvideox.tensor.DoubleTwins.Dims;
import dev.cogvideox.tensor.Resample;
import dev.cogvideox.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

import static dev.cogvideox.tensor.GradientCheck.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The backward passes of the VAE's own modules, recorded on a {@link Tape} by their inference forward, against
 * central differences of double twins composed from the kernels' definitions: the causal conv (frame 0 repeated in
 * front), SpatialNorm3D (the latents' gradient through conv_y, conv_b and the nearest resize), the residual blocks
 * (encoder and decoder kinds, with and without shortcut), Downsample3D and Upsample3D with compress_time.
 */
class VaeModulesBackwardTest {
    private static final float EPS = 1e-6f;

    /** Random weights by name, as float tensors for the modules and double arrays for the twins (the same values). */
    private static final class Weights {
        final SplittableRandom rng;
        final Map<String, Tensor> tensors = new LinkedHashMap<>();
        final Map<String, double[]> d = new LinkedHashMap<>();

        Weights(long seed) {
            rng = new SplittableRandom(seed);
        }

        Weights put(String name, double scale, int... shape) {
            Tensor t = randn(rng, shape);
            for (int i = 0; i < t.numel(); i++) {
                t.data()[i] *= (float) scale;
            }
            tensors.put(name, t);
            d.put(name, toDouble(t));
            return this;
        }

        Weights conv(String prefix, int in, int out, int... k) {
            int fan = in;
            int[] shape = new int[2 + k.length];
            shape[0] = out;
            shape[1] = in;
            for (int i = 0; i < k.length; i++) {
                shape[2 + i] = k[i];
                fan *= k[i];
            }
            return put(prefix + ".weight", 1 / Math.sqrt(fan), shape).put(prefix + ".bias", 0.1, out);
        }

        Weights norm(String prefix, int c) {
            put(prefix + ".weight", 0.2, c).put(prefix + ".bias", 0.2, c);
            for (int i = 0; i < c; i++) {
                tensors.get(prefix + ".weight").data()[i] += 1;
                d.get(prefix + ".weight")[i] += 1;
            }
            return this;
        }

        Weights spatialNorm(String prefix, int c, int zc) {
            return norm(prefix + ".norm_layer", c).conv(prefix + ".conv_y.conv", zc, c, 1, 1, 1).conv(prefix + ".conv_b.conv", zc, c, 1, 1, 1);
        }

        TensorWeightStore store() {
            return new TensorWeightStore(tensors, "test weights");
        }
    }

    /** The causal conv twin: frame 0 repeated {@code k - 1} times in front, zero padding {@code (k-1)/2}. */
    private static double[] causalConv(Map<String, double[]> w, String prefix, double[] x, Dims d, int cout, int k, Dims[] od) {
        Dims[] pd = new Dims[1];
        double[] p = DoubleTwins.padFirst(x, d, k - 1, pd);
        return DoubleTwins.conv(p, pd[0], w.get(prefix + ".conv.weight"), cout, k, k, k, w.get(prefix + ".conv.bias"),
                Conv3d.Geometry.same((k - 1) / 2), od);
    }

    /** The SpatialNorm3D twin + SiLU, {@code zq} of dims {@code zd}. */
    private static double[] spatialNorm(Map<String, double[]> w, String prefix, double[] f, Dims d, double[] zq, Dims zd, int groups) {
        Dims[] md = new Dims[1];
        double[] y = causalConv(w, prefix + ".conv_y", zq, zd, d.c(), 1, md);
        double[] b = causalConv(w, prefix + ".conv_b", zq, zd, d.c(), 1, md);
        return DoubleTwins.groupNorm(f, d, groups, w.get(prefix + ".norm_layer.weight"), w.get(prefix + ".norm_layer.bias"), EPS,
                y, b, md[0], Resample.causalFrameIndex(zd.t(), d.t()), Resample.nearestIndex(zd.h(), d.h()),
                Resample.nearestIndex(zd.w(), d.w()), true);
    }

    /** The resnet twin: {@code shortcut(x) + conv2(norm2(conv1(norm1(x))))}; {@code zq} null for the encoder's GroupNorms. */
    private static double[] resnet(Map<String, double[]> w, String prefix, double[] x, Dims d, int out, double[] zq, Dims zd, int groups) {
        Dims[] od = new Dims[1];
        double[] h = zq == null
                ? DoubleTwins.groupNorm(x, d, groups, w.get(prefix + ".norm1.weight"), w.get(prefix + ".norm1.bias"), EPS, null, null, null, null, null, null, true)
                : spatialNorm(w, prefix + ".norm1", x, d, zq, zd, groups);
        h = causalConv(w, prefix + ".conv1", h, d, out, 3, od);
        Dims hd = od[0];
        h = zq == null
                ? DoubleTwins.groupNorm(h, hd, groups, w.get(prefix + ".norm2.weight"), w.get(prefix + ".norm2.bias"), EPS, null, null, null, null, null, null, true)
                : spatialNorm(w, prefix + ".norm2", h, hd, zq, zd, groups);
        h = causalConv(w, prefix + ".conv2", h, hd, out, 3, od);
        double[] skip = d.c() == out ? x
                : DoubleTwins.conv(x, d, w.get(prefix + ".conv_shortcut.weight"), out, 1, 1, 1, w.get(prefix + ".conv_shortcut.bias"), Conv3d.Geometry.same(0), od);
        for (int i = 0; i < h.length; i++) {
            h[i] += skip[i];
        }
        return h;
    }

    /** FD of {@code L = p . f()} over the weight {@code name} (f reads the weights from {@code w}). */
    private static void checkWeight(Gradients grads, Weights w, String name, Function<double[], double[]> f, Tensor p) {
        assertGradient(name, grads.get(name), numeric(f, w.d.get(name), p));
    }

    @Test
    void causalConvRepeatsFrameZeroInFront() {
        Weights w = new Weights(31).conv("c.conv", 2, 3, 3, 3, 3);
        CogVideoXCausalConv3d conv = new CogVideoXCausalConv3d(w.store(), "c", 2, 3, 3);
        Dims d = new Dims(2, 2, 3, 4, 5);
        Tensor x = randn(w.rng, d.n(), d.c(), d.t(), d.h(), d.w());
        double[] xd = toDouble(x);
        Dims[] od = new Dims[1];
        Tape tape = Tape.recording();
        Tensor out = conv.forward(x, new ConvCache(), tape);
        assertForward("causal conv", out, causalConv(w.d, "c", xd, d, 3, 3, od));
        Tensor p = randn(w.rng, out.shape());
        Gradients grads = new Gradients();
        Tensor dx = conv.backward(p, tape, grads);
        assertThat(tape.isEmpty()).isTrue();
        assertGradient("dx", dx, numeric(v -> causalConv(w.d, "c", v, d, 3, 3, od), xd, p));
        checkWeight(grads, w, "c.conv.weight", v -> causalConv(w.d, "c", xd, d, 3, 3, od), p);
        checkWeight(grads, w, "c.conv.bias", v -> causalConv(w.d, "c", xd, d, 3, 3, od), p);
    }

    /**
     * The conv over frame batches linked by its cache (one frame, two, two: the first shorter than the two cached
     * frames) is the conv of the whole clip; backward batch by batch, last first, gives the whole clip's gradients.
     */
    @Test
    void causalConvOverFrameBatchesCarriesTheCachedFramesGradientBack() {
        Weights w = new Weights(36).conv("c.conv", 2, 3, 3, 3, 3);
        CogVideoXCausalConv3d conv = new CogVideoXCausalConv3d(w.store(), "c", 2, 3, 3);
        Dims d = new Dims(1, 2, 5, 3, 4);
        Tensor x = randn(w.rng, d.n(), d.c(), d.t(), d.h(), d.w());
        double[] xd = toDouble(x);
        Dims[] od = new Dims[1];
        int[][] batches = {{0, 1}, {1, 3}, {3, 5}};
        Tape tape = Tape.recording();
        ConvCache cache = new ConvCache();
        java.util.List<Tensor> outs = new java.util.ArrayList<>();
        for (int[] b : batches) {
            outs.add(conv.forward(dev.cogvideox.tensor.Layout.narrow(x, 2, b[0], b[1] - b[0]), cache, tape));
        }
        Tensor out = dev.cogvideox.tensor.Layout.cat(2, outs);
        assertForward("batched causal conv", out, causalConv(w.d, "c", xd, d, 3, 3, od));
        Tensor p = randn(w.rng, out.shape());
        Gradients grads = new Gradients();
        Tensor[] dx = new Tensor[batches.length];
        for (int i = batches.length - 1; i >= 0; i--) {
            dx[i] = conv.backward(dev.cogvideox.tensor.Layout.narrow(p, 2, batches[i][0], batches[i][1] - batches[i][0]), tape, grads);
        }
        assertThat(tape.isEmpty()).isTrue();
        assertGradient("dx", dev.cogvideox.tensor.Layout.cat(2, dx), numeric(v -> causalConv(w.d, "c", v, d, 3, 3, od), xd, p));
        checkWeight(grads, w, "c.conv.weight", v -> causalConv(w.d, "c", xd, d, 3, 3, od), p);
    }

    @Test
    void spatialNormPassesTheLatentGradientThroughTheResize() {
        Weights w = new Weights(32).spatialNorm("n", 4, 3);
        CogVideoXSpatialNorm3D norm = new CogVideoXSpatialNorm3D(w.store(), "n", 4, 3, 2);
        Dims d = new Dims(1, 4, 5, 4, 6), zd = new Dims(1, 3, 2, 2, 3);       // 5 frames from 2: frame 0 alone
        Tensor f = randn(w.rng, d.n(), d.c(), d.t(), d.h(), d.w()), zq = randn(w.rng, zd.n(), zd.c(), zd.t(), zd.h(), zd.w());
        double[] fd = toDouble(f), zqd = toDouble(zq);
        Tape tape = Tape.recording();
        Tensor out = norm.normSilu(f, zq, false, tape);
        assertForward("spatial norm", out, spatialNorm(w.d, "n", fd, d, zqd, zd, 2));
        Tensor p = randn(w.rng, out.shape());
        Gradients grads = new Gradients();
        Tensor dzq = Tensor.zeros(zq.shape());
        Tensor df = norm.backward(p, dzq, tape, grads);
        assertThat(tape.isEmpty()).isTrue();
        assertGradient("df", df, numeric(v -> spatialNorm(w.d, "n", v, d, zqd, zd, 2), fd, p));
        assertGradient("dzq", dzq, numeric(v -> spatialNorm(w.d, "n", fd, d, v, zd, 2), zqd, p));
        for (String name : w.d.keySet()) {
            checkWeight(grads, w, name, v -> spatialNorm(w.d, "n", fd, d, zqd, zd, 2), p);
        }
    }

    @Test
    void encoderResnetWithShortcut() {
        Weights w = new Weights(33).norm("r.norm1", 2).conv("r.conv1.conv", 2, 4, 3, 3, 3).norm("r.norm2", 4)
                .conv("r.conv2.conv", 4, 4, 3, 3, 3).conv("r.conv_shortcut", 2, 4, 1, 1, 1);
        CogVideoXResnetBlock3D block = new CogVideoXResnetBlock3D(w.store(), "r", 2, 4, 2, EPS, 0);
        Dims d = new Dims(1, 2, 3, 4, 4);
        Tensor x = randn(w.rng, d.n(), d.c(), d.t(), d.h(), d.w());
        double[] xd = toDouble(x);
        Tape tape = Tape.recording();
        Tensor out = block.forward(x.copy(), null, new ConvCache(), tape);
        assertForward("resnet", out, resnet(w.d, "r", xd, d, 4, null, null, 2));
        Tensor p = randn(w.rng, out.shape());
        Gradients grads = new Gradients();
        Tensor dx = block.backward(p, null, tape, grads);
        assertThat(tape.isEmpty()).isTrue();
        assertGradient("dx", dx, numeric(v -> resnet(w.d, "r", v, d, 4, null, null, 2), xd, p));
        for (String name : w.d.keySet()) {
            checkWeight(grads, w, name, v -> resnet(w.d, "r", xd, d, 4, null, null, 2), p);
        }
    }

    @Test
    void decoderResnetWithSpatialNorms() {
        Weights w = new Weights(34).spatialNorm("r.norm1", 4, 3).conv("r.conv1.conv", 4, 4, 3, 3, 3).spatialNorm("r.norm2", 4, 3)
                .conv("r.conv2.conv", 4, 4, 3, 3, 3);
        CogVideoXResnetBlock3D block = new CogVideoXResnetBlock3D(w.store(), "r", 4, 4, 2, EPS, 3);
        Dims d = new Dims(1, 4, 3, 4, 4), zd = new Dims(1, 3, 2, 2, 2);
        Tensor x = randn(w.rng, d.n(), d.c(), d.t(), d.h(), d.w()), zq = randn(w.rng, zd.n(), zd.c(), zd.t(), zd.h(), zd.w());
        double[] xd = toDouble(x), zqd = toDouble(zq);
        Tape tape = Tape.recording();
        Tensor out = block.forward(x.copy(), zq, new ConvCache(), tape);
        assertForward("resnet", out, resnet(w.d, "r", xd, d, 4, zqd, zd, 2));
        Tensor p = randn(w.rng, out.shape());
        Gradients grads = new Gradients();
        Tensor dzq = Tensor.zeros(zq.shape());
        Tensor dx = block.backward(p, dzq, tape, grads);
        assertThat(tape.isEmpty()).isTrue();
        assertGradient("dx", dx, numeric(v -> resnet(w.d, "r", v, d, 4, zqd, zd, 2), xd, p));
        assertGradient("dzq", dzq, numeric(v -> resnet(w.d, "r", xd, d, 4, v, zd, 2), zqd, p));
        for (String name : new String[] {"r.conv1.conv.weight", "r.conv2.conv.bias", "r.norm1.conv_y.conv.weight", "r.norm2.norm_layer.weight"}) {
            checkWeight(grads, w, name, v -> resnet(w.d, "r", xd, d, 4, zqd, zd, 2), p);
        }
    }

    private static double[] downsample(Map<String, double[]> w, double[] x, Dims d, boolean compressTime) {
        Dims pd = compressTime ? new Dims(d.n(), d.c(), d.t() % 2 + d.t() / 2, d.h(), d.w()) : d;
        double[] h = compressTime ? DoubleTwins.temporalAvgPool(x, d) : x;
        return DoubleTwins.conv(h, pd, w.get("s.conv.weight"), 3, 1, 3, 3, w.get("s.conv.bias"), new Conv3d.Geometry(1, 2, 2, 0, 1, 0, 1), new Dims[1]);
    }

    @Test
    void downsamplerAveragesFramePairsThenStridesTwo() {
        for (int t : new int[] {5, 4}) {
            Weights w = new Weights(35 + t).conv("s.conv", 3, 3, 3, 3);
            CogVideoXDownsample3D down = new CogVideoXDownsample3D(w.store(), "s", 3, 3, true);
            Dims d = new Dims(1, 3, t, 6, 4);
            Tensor x = randn(w.rng, d.n(), d.c(), d.t(), d.h(), d.w());
            double[] xd = toDouble(x);
            Tape tape = Tape.recording();
            Tensor out = down.forward(x, tape);
            assertForward("downsample", out, downsample(w.d, xd, d, true));
            Tensor p = randn(w.rng, out.shape());
            Gradients grads = new Gradients();
            assertGradient("dx of " + t + " frames", down.backward(p, tape, grads), numeric(v -> downsample(w.d, v, d, true), xd, p));
            checkWeight(grads, w, "s.conv.weight", v -> downsample(w.d, xd, d, true), p);
            checkWeight(grads, w, "s.conv.bias", v -> downsample(w.d, xd, d, true), p);
        }
    }

    private static double[] upsample(Map<String, double[]> w, double[] x, Dims d) {
        int frames = 2 * d.t() - d.t() % 2;
        double[] h = DoubleTwins.gather(x, d, Resample.causalFrameIndex(d.t(), frames), Resample.nearestIndex(d.h(), 2 * d.h()),
                Resample.nearestIndex(d.w(), 2 * d.w()));
        Dims hd = new Dims(d.n(), d.c(), frames, 2 * d.h(), 2 * d.w());
        return DoubleTwins.conv(h, hd, w.get("u.conv.weight"), 2, 1, 3, 3, w.get("u.conv.bias"), Conv3d.Geometry.same(1), new Dims[1]);
    }

    @Test
    void upsamplerKeepsFrameZeroSingleForOddCounts() {
        for (int t : new int[] {3, 2}) {
            Weights w = new Weights(40 + t).conv("u.conv", 2, 2, 3, 3);
            CogVideoXUpsample3D up = new CogVideoXUpsample3D(w.store(), "u", 2, 2, true);
            Dims d = new Dims(1, 2, t, 2, 3);
            Tensor x = randn(w.rng, d.n(), d.c(), d.t(), d.h(), d.w());
            double[] xd = toDouble(x);
            Tape tape = Tape.recording();
            Tensor out = up.forward(x, tape);
            assertForward("upsample", out, upsample(w.d, xd, d));
            Tensor p = randn(w.rng, out.shape());
            Gradients grads = new Gradients();
            assertGradient("dx of " + t + " frames", up.backward(p, tape, grads), numeric(v -> upsample(w.d, v, d), xd, p));
            checkWeight(grads, w, "u.conv.weight", v -> upsample(w.d, xd, d), p);
        }
    }

    @Test
    void recordingChangesNothingInTheForward() {
        Weights w = new Weights(50).norm("r.norm1", 4).conv("r.conv1.conv", 4, 4, 3, 3, 3).norm("r.norm2", 4).conv("r.conv2.conv", 4, 4, 3, 3, 3);
        CogVideoXResnetBlock3D block = new CogVideoXResnetBlock3D(w.store(), "r", 4, 4, 2, EPS, 0);
        Tensor x = randn(w.rng, 1, 4, 3, 4, 4);
        Tensor plain = block.forward(x.copy(), null, new ConvCache());
        Tensor recorded = block.forward(x.copy(), null, new ConvCache(), Tape.recording());
        assertThat(recorded.data()).containsExactly(plain.data());
    }

    @Test
    void backwardOutOfOrderOrWithoutTapeIsAnError() {
        Weights w = new Weights(51).conv("a.conv", 2, 2, 3, 3, 3).conv("b.conv", 2, 2, 3, 3, 3);
        CogVideoXCausalConv3d a = new CogVideoXCausalConv3d(w.store(), "a", 2, 2, 3);
        CogVideoXCausalConv3d b = new CogVideoXCausalConv3d(w.store(), "b", 2, 2, 3);
        Tensor x = randn(w.rng, 1, 2, 2, 3, 3);
        Tape tape = Tape.recording();
        Tensor y = b.forward(a.forward(x, new ConvCache(), tape), new ConvCache(), tape);
        assertThatThrownBy(() -> a.backward(y, tape, new Gradients())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("backward of a").hasMessageContaining("last recorded module is b");
        assertThatThrownBy(() -> a.backward(y, Tape.NONE, new Gradients())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Tape.recording()");
    }
}
