package dev.cogvideox.model.vae;

import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The training pass (optionally recording) is the inference path: on the fixtures' tiny 2b VAE, with the frame
 * batches of {@code encode}/{@code decode} it gives their very bits, and a clip that fits one frame batch gives them
 * in one pass. A whole 17-frame clip in one pass differs from the batched inference only because the reference
 * normalises each frame batch with its own GroupNorm statistics (semantics.md, VAE: per-batch GroupNorm): the causal
 * convs' caches and the temporal resampling line up exactly with one pass at the CogVideoX frame counts.
 */
class TrainingPassTest {
    private static final Path VAE_DIR = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b/vae");
    private static AutoencoderKLCogVideoX vae;

    @BeforeAll
    static void load() {
        vae = AutoencoderKLCogVideoX.load(VAE_DIR);
    }

    @AfterAll
    static void close() {
        vae.close();
    }

    private static Tensor uniform(long seed, int... shape) {
        SplittableRandom rng = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = (float) (2 * rng.nextDouble() - 1);
        }
        return t;
    }

    @Test
    void encoderPassOfOneFrameBatchIsTheEncode() {
        Tensor x = uniform(1, 1, 3, 9, 16, 24);                              // 9 frames: one batch of the default 8 (+1)
        DiagonalGaussianDistribution encoded = vae.encode(x);
        Tensor moments = vae.encoderForward(x, Tape.NONE);
        Tensor recorded = vae.encoderForward(x, Tape.recording());
        assertThat(Layout.narrow(moments, 1, 0, 16).data()).containsExactly(encoded.mean().data());
        assertThat(DiagonalGaussianDistribution.of(moments).logvar().data()).containsExactly(encoded.logvar().data());
        assertThat(recorded.data()).containsExactly(moments.data());
    }

    @Test
    void decoderPassOfOneFrameBatchIsTheDecode() {
        Tensor z = uniform(2, 1, 16, 3, 2, 3);                               // 3 latent frames: one batch of the default 2 (+1)
        Tensor decoded = vae.decode(z);
        assertThat(vae.decoderForward(z, Tape.NONE).data()).containsExactly(decoded.data());
        assertThat(vae.decoderForward(z, Tape.recording()).data()).containsExactly(decoded.data());
    }

    @Test
    void recordedFrameBatchesAreTheBatchedEncodeAndDecode() {
        Tensor x = uniform(3, 1, 3, 17, 16, 16);                             // batches of 9 and 8 frames
        Tape tape = Tape.recording();
        Tensor moments = vae.encoderForward(x, vae.defaultOptions().numSampleFramesBatchSize(), tape);
        assertThat(DiagonalGaussianDistribution.of(moments).mean().data()).containsExactly(vae.encode(x).mean().data());
        Tensor z = uniform(4, 1, 16, 5, 2, 2);                               // batches of 3 and 2 latent frames
        Tensor frames = vae.decoderForward(z, vae.defaultOptions().numLatentFramesBatchSize(), tape);
        assertThat(frames.data()).containsExactly(vae.decode(z).data());
        Gradients grads = new Gradients();
        assertThat(vae.decoderBackward(frames, tape, grads).shape()).containsExactly(z.shape());
        assertThat(vae.encoderBackward(moments, tape, grads).shape()).containsExactly(x.shape());
        assertThat(tape.isEmpty()).isTrue();
    }
}
