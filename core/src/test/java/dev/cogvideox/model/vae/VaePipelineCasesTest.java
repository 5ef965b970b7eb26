package dev.cogvideox.model.vae;

import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenCase;
import dev.cogvideox.verify.GoldenSuite;
import dev.cogvideox.verify.Tolerance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The VAE's public API as the image-to-video pipeline uses it, against the pipeline cases' recorded tensors: the image
 * latent (single-frame encode, posterior sample with the recorded noise, scaling incl. invert_scale_latents for 1.5)
 * and the final decode of the denoised latents.
 */
class VaePipelineCasesTest {
    @ParameterizedTest
    @ValueSource(strings = {"pipeline_i2v_5b_dpm_dyncfg", "pipeline_i2v_15_dpm_dyncfg"})
    void imageLatentAndVideoMatchThePipelineCase(String name) {
        Path json = GoldenSuite.defaultFixtureRoot().resolve("golden/" + name + ".json");
        try (GoldenCase c = GoldenCase.open(json); AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.load(c.modelDir().resolve("vae"))) {
            // 1. image in [0, 1] -> [-1, 1] as a one-frame video, posterior sample, scaled
            Tensor image = c.tensor("in.image"); // [1, 3, 64, 64]
            Tensor video = Ops.map(image, v -> 2 * v - 1).reshape(1, 3, 1, 64, 64);
            Tensor z = vae.encode(video).sample(c.tensor("in.noise.0")); // [1, 16, 1, 8, 8]
            Tensor latent = vae.scaleImageLatents(z).reshape(1, 1, 16, 8, 8);
            Tensor expected = Layout.narrow(c.tensor("out.dbg.image_latents"), 1, 0, 1); // [1, 1, 16, 8, 8] frame 0
            assertWithin(latent, expected, c.tolerance("out.dbg.image_latents"));

            // 2. decode of the denoised latents, post-processed as output_type 'pt': clamp(x / 2 + 0.5, 0, 1), [B, F, C, H, W]
            Tensor frames = vae.decode(c.tensor("out.dbg.vae_decode_input")); // [1, 3, 9, 64, 64]
            Tensor pixels = Ops.map(frames, v -> Math.clamp(v / 2 + 0.5f, 0f, 1f));
            assertWithin(framesFirst(pixels), c.tensor("out.video"), c.tolerance("out.video"));
        }
    }

    /** {@code [1, C, F, H, W] -> [1, F, C, H, W]}. */
    private static Tensor framesFirst(Tensor x) {
        int ch = x.dim(1), f = x.dim(2), hw = x.dim(3) * x.dim(4);
        Tensor y = Tensor.zeros(1, f, ch, x.dim(3), x.dim(4));
        for (int c = 0; c < ch; c++) {
            for (int t = 0; t < f; t++) {
                System.arraycopy(x.data(), (c * f + t) * hw, y.data(), (t * ch + c) * hw, hw);
            }
        }
        return y;
    }

    private static void assertWithin(Tensor actual, Tensor expected, Tolerance tol) {
        assertThat(actual.shape()).containsExactly(expected.shape());
        for (int i = 0; i < actual.numel(); i++) {
            float a = actual.data()[i], e = expected.data()[i];
            assertThat(tol.accepts(a, e)).as("element %d: got %s, expected %s (tolerance %s)", i, a, e, tol).isTrue();
        }
    }
}
