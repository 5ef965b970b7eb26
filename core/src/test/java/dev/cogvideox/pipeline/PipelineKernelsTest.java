package dev.cogvideox.pipeline;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.sparse.SparseSetting;
import dev.cogvideox.model.text.T5Config;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.Attention;
import dev.cogvideox.tensor.Conv3d;
import dev.cogvideox.tensor.GroupNorm;
import dev.cogvideox.tensor.GroupNormBackward;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kernel seam through a whole generation: a provider given to the pipeline ({@link CogVideoXPipeline#withKernels})
 * reaches the text encoder, the transformer and the VAE, and every kernel call of each goes through it. The static
 * kernels are package-private, so nothing outside {@code dev.cogvideox.tensor} can call them past a provider; here the
 * counts of a recording provider match what the fixture's configs fix (per layer and per pass), and the video is the
 * Java provider's bit for bit.
 */
class PipelineKernelsTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-5b");
    private static final int STEPS = 2;

    /** Delegates to {@link Kernels#JAVA}, counting the calls per method and noting the weight formats the products see. */
    static final class RecordingKernels implements Kernels {
        final Map<String, Integer> calls = new ConcurrentHashMap<>();
        final Set<String> weightFormats = ConcurrentHashMap.newKeySet();

        private void count(String method) {
            calls.merge(method, 1, Integer::sum);
        }

        int calls(String method) {
            return calls.getOrDefault(method, 0);
        }

        private void sawWeight(Weight w) {
            weightFormats.add(w.quantFormat() != null ? w.quantFormat().name() : w.dtype().name());
        }

        @Override
        public Tensor linear(Tensor x, Weight w, Weight bias) {
            count("linear");
            sawWeight(w);
            return JAVA.linear(x, w, bias);
        }

        @Override
        public void gemm(float[] a, int aOff, int m, int k, Weight w, float[] bias, float[] c, int cOff) {
            count("gemm");
            sawWeight(w);
            JAVA.gemm(a, aOff, m, k, w, bias, c, cOff);
        }

        @Override
        public void product(float[] a, boolean aTransposed, float[] b, boolean bTransposed, int m, int n, int k, float[] c) {
            count("product");
            JAVA.product(a, aTransposed, b, bTransposed, m, n, k, c);
        }

        @Override
        public Tensor attend(Tensor q, Tensor k, Tensor v, int heads, float scale, Tensor bias, Attention.KeySelection keys) {
            count(keys == null ? "attend" : "attend sparse");
            return JAVA.attend(q, k, v, heads, scale, bias, keys);
        }

        @Override
        public Tensor conv3d(Tensor x, Tensor front, Weight w, float[] bias, Conv3d.Geometry g) {
            count("conv3d");
            return JAVA.conv3d(x, front, w, bias, g);
        }

        @Override
        public void conv3dAccumulate(Tensor x, Tensor front, Weight w, float[] bias, Conv3d.Geometry g, Tensor out) {
            count("conv3dAccumulate");
            JAVA.conv3dAccumulate(x, front, w, bias, g, out);
        }

        @Override
        public Tensor conv3dInPlace(Tensor x, Tensor front, Weight w, float[] bias, Conv3d.Geometry g) {
            count("conv3dInPlace");
            return JAVA.conv3dInPlace(x, front, w, bias, g);
        }

        @Override
        public Tensor conv3dInputGrad(Tensor g, Weight w, Conv3d.Geometry geo, int frames, int h, int width) {
            count("conv3dInputGrad");
            return JAVA.conv3dInputGrad(g, w, geo, frames, h, width);
        }

        @Override
        public Tensor conv3dWeightGrad(Tensor x, Tensor front, Tensor g, int[] weightShape, Conv3d.Geometry geo) {
            count("conv3dWeightGrad");
            return JAVA.conv3dWeightGrad(x, front, g, weightShape, geo);
        }

        @Override
        public Tensor conv3dBiasGrad(Tensor g) {
            count("conv3dBiasGrad");
            return JAVA.conv3dBiasGrad(g);
        }

        @Override
        public void groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, float eps, GroupNorm.Modulation mod, boolean silu, Tensor out) {
            count(mod == null ? "groupNorm" : "groupNorm modulated");
            JAVA.groupNorm(x, groups, weight, bias, eps, mod, silu, out);
        }

        @Override
        public GroupNormBackward.Grads groupNormBackward(Tensor x, int groups, Tensor weight, Tensor bias, float eps,
                                                         GroupNorm.Modulation mod, boolean silu, Tensor g) {
            count("groupNormBackward");
            return JAVA.groupNormBackward(x, groups, weight, bias, eps, mod, silu, g);
        }

        @Override
        public Tensor layerNorm(Tensor x, Tensor w, Tensor b, float eps) {
            count("layerNorm");
            return JAVA.layerNorm(x, w, b, eps);
        }

        @Override
        public Tensor rmsNorm(Tensor x, Tensor w, float eps) {
            count("rmsNorm");
            return JAVA.rmsNorm(x, w, eps);
        }
    }

    private static GenerationRequest request(Sampling sampling) {
        return GenerationRequest.builder().prompt("a red ball rolls to the left").frames(9).size(64, 64).steps(STEPS).guidance(6)
                .maxSequenceLength(16).sampling(sampling).build();
    }

    private static Tensor generate(CogVideoXPipeline pipeline, Sampling sampling) {
        return pipeline.generate(request(sampling), NoiseSource.of(new TorchGenerator(5)), RunContext.NONE);
    }

    @Test
    void everyKernelOfAGenerationRunsOnThePipelinesProvider() {
        CogVideoXPipeline pipeline = CogVideoXPipeline.load(MODEL);
        RecordingKernels rec = new RecordingKernels();
        Tensor viaProvider = generate(pipeline.withKernels(rec), Sampling.DEFAULT);

        assertThat(viaProvider.data()).as("a provider that delegates to Java gives Java's bits")
                .containsExactly(generate(pipeline, Sampling.DEFAULT).data());
        int t5 = T5Config.read(MODEL.resolve("text_encoder/config.json")).numLayers();
        int blocks = pipeline.transformerConfig().numLayers();
        // the prompt and the negative prompt: one encoder pass each; one transformer pass per step ([negative; positive] batched)
        int encodes = 2, passes = STEPS;
        assertThat(rec.calls("rmsNorm")).as("T5: two per block and the final one").isEqualTo(encodes * (2 * t5 + 1));
        assertThat(rec.calls("attend")).as("one per T5 block and per transformer block").isEqualTo(encodes * t5 + passes * blocks);
        assertThat(rec.calls("linear")).as("T5: q, k, v, o, wi_0, wi_1, wo; transformer: time embedding 2, text and patch"
                        + " projections, per block norm1/norm2 modulation, q, k, v, out; norm_out, proj_out")
                .isEqualTo(encodes * 7 * t5 + passes * (6 + 6 * blocks));
        assertThat(rec.calls("gemm")).as("the feed-forward's two products per block (one chunk at this size)").isEqualTo(passes * 2 * blocks);
        assertThat(rec.calls("layerNorm")).as("norm1, q, k, norm2 per block; norm_final, norm_out").isEqualTo(passes * (4 * blocks + 2));
        // the VAE decoder: every kind of forward convolution and both group norms, no backward
        assertThat(rec.calls("conv3d")).isPositive();
        assertThat(rec.calls("conv3dInPlace")).isPositive();
        assertThat(rec.calls("conv3dAccumulate")).isPositive();
        assertThat(rec.calls("groupNorm modulated")).as("the decoder's spatial norms").isPositive();
        assertThat(rec.calls.keySet()).doesNotContain("attend sparse", "conv3dInputGrad", "conv3dWeightGrad", "conv3dBiasGrad",
                "groupNormBackward");
        assertThat(rec.weightFormats).containsExactly("F32");
    }

    @Test
    void sparseAttentionAndQuantizedWeightsReachTheProviderToo() {
        RecordingKernels rec = new RecordingKernels();
        CogVideoXPipeline pipeline = CogVideoXPipeline.load(MODEL).withWeights(QuantFormat.Q8_0).withKernels(rec);
        generate(pipeline, Sampling.DEFAULT.withAttention(SparseSetting.parse("sparse:0"), note -> { }));
        int t5 = T5Config.read(MODEL.resolve("text_encoder/config.json")).numLayers();
        int blocks = pipeline.transformerConfig().numLayers();
        // every step sparse: per block, the sampled rows' dense attention that picks each head's mask, then the sparse one
        assertThat(rec.calls("attend sparse")).isEqualTo(STEPS * blocks);
        assertThat(rec.calls("attend")).isEqualTo(2 * t5 + STEPS * blocks);
        // the linear layers' weights quantized on load, the patch projection (a conv kernel on disk) as stored
        assertThat(rec.weightFormats).containsExactlyInAnyOrder("Q8_0", "F32");
    }
}
