package dev.cogvideox.pipeline;

import dev.cogvideox.model.Ranks;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.Taps;
import dev.cogvideox.model.ThreadRanks;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Parallel inference of one video on ranks that are threads of this JVM ({@link ThreadRanks}: the exchanges MPI does
 * between processes): CFG parallel, Ulysses sequence parallel and both, on every tiny model, against one process.
 * Bit for bit: a matrix product's rows, a LayerNorm's tokens and an attention head's queries do not depend on which
 * other rows, tokens or heads are computed beside them, so splitting the batch, the tokens and the heads changes no
 * sum's order (the distributed module's test shows the same under mpirun).
 */
class ParallelInferenceTest {
    private static final Path MODELS = GoldenSuite.defaultFixtureRoot().resolve("models");

    private static GenerationRequest request(CogVideoXPipeline pipeline, int size, double guidance) {
        TorchGenerator g = new TorchGenerator(21);
        int t = pipeline.transformerConfig().maxTextSeqLength(), d = pipeline.transformerConfig().textEmbedDim();
        GenerationRequest.Builder b = GenerationRequest.builder().promptEmbeds(g.randn(1, t, d), g.randn(1, t, d))
                .frames(9).size(size, size).steps(3).guidance(guidance);
        if (pipeline.isImageToVideo()) {
            float[] pixels = g.randn(3 * size * size).data();
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = Math.clamp(0.5f + 0.2f * pixels[i], 0f, 1f);
            }
            b.image(Tensor.of(pixels, 1, 3, size, size));
        }
        return b.build();
    }

    /** The final latents of a 3-step generation with guidance 6 on the given ranks. */
    private static float[] denoise(String model, int size, Ranks ranks) {
        CogVideoXPipeline pipeline = CogVideoXPipeline.load(MODELS.resolve(model));
        return pipeline.denoise(request(pipeline, size, 6), NoiseSource.of(new TorchGenerator(4)),
                new RunContext(ProgressListener.NONE, new CancellationToken(), Taps.NONE, ranks)).data();
    }

    private static void assertEveryRankEqualsOneProcess(String model, int size, int guidance, int sequence) throws Exception {
        float[] one = denoise(model, size, Ranks.SINGLE);
        List<float[]> ranks = ThreadRanks.run(guidance, sequence, r -> denoise(model, size, r));
        for (int r = 0; r < ranks.size(); r++) {
            assertThat(ranks.get(r)).as("%s, %d guidance x %d sequence ranks: rank %d", model, guidance, sequence, r).containsExactly(one);
        }
    }

    /** Every variant: sincos (2b), RoPE (5b, 1.5 with patch_size_t 2), learned positions and image latents (5b-I2V, 1.5-I2V). */
    @Test
    void cfgParallelAndSequenceParallelEqualOneProcessOnEveryVariant() throws Exception {
        for (String model : new String[]{"tiny-cogvideox-2b", "tiny-cogvideox-5b", "tiny-cogvideox-5b-i2v", "tiny-cogvideox1.5-5b",
                "tiny-cogvideox1.5-5b-i2v"}) {
            // the 5b-I2V's learned positional table takes its sample size only
            int size = model.equals("tiny-cogvideox-5b-i2v") ? 64 : 32;
            assertEveryRankEqualsOneProcess(model, size, 2, 1);
            assertEveryRankEqualsOneProcess(model, size, 1, 2);
        }
    }

    /** CFG x sequence on 4 ranks (2 x 2): each rank computes half the tokens of one half of the batch. */
    @Test
    void cfgAndSequenceParallelCombineOnFourRanks() throws Exception {
        assertEveryRankEqualsOneProcess("tiny-cogvideox-5b", 32, 2, 2);
    }

    /**
     * Slices that do not split evenly or at the text/video boundary: at 48x48 the stream is 16 text + 27 video tokens
     * (43: slices of 22 and 21); at 32x32, 16 + 12, so rank 0's slice is text only (no RoPE rows) and rank 1's starts
     * with 2 text tokens.
     */
    @Test
    void unevenSlicesAndATextOnlySliceEqualOneProcess() throws Exception {
        assertEveryRankEqualsOneProcess("tiny-cogvideox-5b", 48, 1, 2);
        assertEveryRankEqualsOneProcess("tiny-cogvideox-5b", 32, 1, 2);
    }

    /** Rank 0 alone decodes and hands frames to the sink; the other ranks only take part in the denoising. */
    @Test
    void onlyRankZeroDecodes() throws Exception {
        List<Integer> frames = ThreadRanks.run(2, 1, r -> {
            CogVideoXPipeline pipeline = CogVideoXPipeline.load(MODELS.resolve("tiny-cogvideox-2b"));
            int[] n = {0};
            pipeline.generate(request(pipeline, 32, 6), NoiseSource.of(new TorchGenerator(4)),
                    new RunContext(ProgressListener.NONE, new CancellationToken(), Taps.NONE, r),
                    (sample, first, batch) -> n[0] += batch.dim(0));
            return n[0];
        });
        assertThat(frames).containsExactly(9, 0);
    }

    /** A head count the sequence ranks do not divide, and CFG parallel without guidance, are refused by name on every rank. */
    @Test
    void impossibleSplitsAreRefusedBeforeAnyWork() throws Exception {
        List<String> heads = ThreadRanks.run(1, 3, r -> message(() -> denoise("tiny-cogvideox-2b", 32, r)));
        assertThat(heads).allMatch(m -> m.contains("sequence parallel over 3 ranks splits the attention heads, but 2b has 2 heads: "
                + "run a number of sequence ranks that divides 2"), heads.toString());
        List<String> guidance = ThreadRanks.run(2, 1, r -> message(() -> {
            CogVideoXPipeline pipeline = CogVideoXPipeline.load(MODELS.resolve("tiny-cogvideox-2b"));
            pipeline.denoise(request(pipeline, 32, 1), NoiseSource.of(new TorchGenerator(4)), RunContext.NONE.withRanks(r));
        }));
        assertThat(guidance).allMatch(m -> m.contains("CFG parallel runs the guidance's unconditional and conditional passes on 2 ranks, "
                + "but guidance is off (guidance scale 1.0 <= 1)"), guidance.toString());
    }

    private static String message(Runnable call) {
        try {
            call.run();
            return "no error";
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }
}
