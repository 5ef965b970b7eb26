package dev.cogvideox.pipeline;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every frame count {@code 1 + 4k} up to 53 on every tiny model of the fixtures generates (2 steps) without an
 * exception, and returns the frames diffusers v0.40.0 returns. Diffusers' rule, from {@code CogVideoXPipeline} and
 * {@code AutoencoderKLCogVideoX._decode}: {@code L = (num_frames - 1) // 4 + 1} latent frames (the 1.5 padding frame
 * is dropped before decoding), decoded in batches of 2 with the remainder joining the first; a decoder's two
 * time-doubling up blocks turn an odd batch of n frames into {@code 4n - 3} frames and an even one into {@code 4n}.
 * So L odd gives {@code 9 + 8 (L - 3) / 2 = 4L - 3} frames (1 for L = 1) and L even gives {@code 4L}: 13 frames
 * come back as 16. The reference environment printed these for the 2b (1 -> 1, 5 -> 8, 9 -> 9, 10 -> 9, 13 -> 16,
 * 17 -> 17, 21 -> 24) and the 1.5 (5 -> 8, 9 -> 9, 13 -> 16, 17 -> 17) (scripts/reference/diffusers_extra_goldens.py).
 */
class FrameCountTest {
    private static final Path MODELS = GoldenSuite.defaultFixtureRoot().resolve("models");

    /** Frames diffusers returns for {@code numFrames} (see the class comment). */
    private static int diffusersFrames(int numFrames) {
        int latent = (numFrames - 1) / 4 + 1;
        return latent % 2 == 1 ? 4 * latent - 3 : 4 * latent;
    }

    private static GenerationRequest request(CogVideoXPipeline pipeline, int frames, TorchGenerator g) {
        // the 5b-I2V's learned positional table takes its sample size only; the others run at 32x32 pixels
        int size = pipeline.transformerConfig().useLearnedPositionalEmbeddings() ? pipeline.transformerConfig().sampleHeight() * 8 : 32;
        GenerationRequest.Builder b = GenerationRequest.builder()
                .promptEmbeds(g.randn(1, pipeline.transformerConfig().maxTextSeqLength(), pipeline.transformerConfig().textEmbedDim()), null)
                .frames(frames).size(size, size).steps(2).guidance(1);
        if (pipeline.isImageToVideo()) {
            float[] gray = new float[3 * size * size];
            java.util.Arrays.fill(gray, 0.5f);
            b.image(Tensor.of(gray, 1, 3, size, size));
        }
        return b.build();
    }

    @TestFactory
    Stream<DynamicTest> everyTinyModelReturnsDiffusersFrameCount() throws IOException {
        List<Path> models;
        try (Stream<Path> s = Files.list(MODELS)) {
            models = s.filter(Files::isDirectory).sorted().toList();
        }
        assertThat(models).hasSize(5);
        return models.stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> {
            CogVideoXPipeline pipeline = CogVideoXPipeline.load(dir);
            List<String> got = new ArrayList<>(), want = new ArrayList<>();
            for (int frames = 1; frames <= 53; frames += 4) {
                TorchGenerator g = new TorchGenerator(frames);
                GenerationRequest req = request(pipeline, frames, g);
                Tensor video = pipeline.generate(req, NoiseSource.of(g), RunContext.NONE);
                got.add(frames + " -> " + video.dim(1));
                want.add(frames + " -> " + diffusersFrames(frames));
                assertThat(pipeline.outputFrames(req)).as("outputFrames(%d)", frames).isEqualTo(video.dim(1));
            }
            assertThat(got).isEqualTo(want);
        }));
    }

    @Test
    void countsThatAreNotOnePlusFourKFollowTheLatentCount() {
        CogVideoXPipeline pipeline = CogVideoXPipeline.load(MODELS.resolve("tiny-cogvideox-2b"));
        for (int frames : new int[] {2, 3, 4, 10, 12}) {
            TorchGenerator g = new TorchGenerator(frames);
            Tensor video = pipeline.generate(request(pipeline, frames, g), NoiseSource.of(g), RunContext.NONE);
            assertThat(video.dim(1)).as("%d frames", frames).isEqualTo(diffusersFrames(frames));
        }
    }
}
