package dev.cogvideox.train.vae;

import dev.cogvideox.model.vae.DiagonalGaussianDistribution;
import dev.cogvideox.model.vae.Tape;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.model.Parameter;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole objective's gradient (encoder, posterior sample, decoder, reconstruction + KL) with respect to weights
 * spread over every kind of layer, against central differences of the loss computed by the inference API
 * ({@code encode}/{@code decode}, or one pass over the clip).
 * The forward runs in float, so the step is large (1e-2) and the tolerance 2%: enough to catch a missing term, a
 * wrong sign or a wrong index, which change a gradient by far more. The reconstruction is L2 here: with L1 a step
 * that large crosses the kinks of |x| (L1 agrees with a 1e-3 step).
 */
class VaeLossGradientTest {
    private static final List<String> WEIGHTS = List.of(
            "encoder.conv_in.conv.weight",
            "encoder.down_blocks.0.resnets.0.norm1.weight",
            "encoder.down_blocks.0.resnets.0.conv2.conv.bias",
            "encoder.down_blocks.0.downsamplers.0.conv.weight",
            "encoder.down_blocks.1.resnets.0.conv_shortcut.weight",
            "encoder.mid_block.resnets.1.conv1.conv.weight",
            "encoder.norm_out.bias",
            "encoder.conv_out.conv.weight",
            "decoder.conv_in.conv.weight",
            "decoder.mid_block.resnets.0.norm1.conv_y.conv.weight",
            "decoder.up_blocks.0.resnets.1.norm2.conv_b.conv.bias",
            "decoder.up_blocks.0.upsamplers.0.conv.weight",
            "decoder.up_blocks.1.resnets.0.conv_shortcut.weight",
            "decoder.norm_out.norm_layer.weight",
            "decoder.conv_out.conv.bias");

    /** The loss by the inference API: {@code encode}/{@code decode} with their frame batches, or one pass over the clip. */
    private static double loss(TrainableVae vae, Tensor clip, Tensor noise, VaeLoss.Config cfg) {
        DiagonalGaussianDistribution post = cfg.frameBatches() ? vae.vae().encode(clip)
                : DiagonalGaussianDistribution.of(vae.vae().encoderForward(clip, Tape.NONE));
        Tensor z = post.sample(noise);
        Tensor recon = cfg.frameBatches() ? vae.vae().decode(z) : vae.vae().decoderForward(z, Tape.NONE);
        double rec = 0;
        for (int i = 0; i < recon.numel(); i++) {
            double d = (double) recon.data()[i] - clip.data()[i];
            rec += cfg.reconstruction() == VaeLoss.Reconstruction.L1 ? Math.abs(d) : d * d;
        }
        return (rec + cfg.klWeight() * post.klSum()) / clip.numel();
    }

    private static void check(Tensor clip, Tensor noise, VaeLoss.Config cfg) {
        TrainableVae vae = TrainableVae.initial(TinyVae.CONFIG, 7);
        VaeLoss.Value v = VaeLoss.step(vae, clip, noise, cfg);
        assertThat(v.loss()).isCloseTo(loss(vae, clip, noise, cfg), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(v.kl()).isPositive();
        for (String name : WEIGHTS) {
            Parameter p = vae.parameters().get(name);
            assertThat(p.grad()).as(name + " has no gradient").isNotNull();
            // the element with the largest gradient, so the difference stands well above float rounding
            float[] g = p.grad().data(), w = p.value().data();
            int i = 0;
            for (int j = 1; j < g.length; j++) {
                if (Math.abs(g[j]) > Math.abs(g[i])) {
                    i = j;
                }
            }
            float keep = w[i], h = 1e-2f;
            w[i] = keep + h;
            double plus = loss(vae, clip, noise, cfg);
            w[i] = keep - h;
            double minus = loss(vae, clip, noise, cfg);
            w[i] = keep;
            double fd = (plus - minus) / (2 * h);
            assertThat((double) g[i]).as("%s[%d]", name, i).isCloseTo(fd, org.assertj.core.data.Offset.offset(0.02 * Math.abs(fd) + 1e-6));
        }
    }

    @Test
    void wholeClipInOnePass() {
        check(TinyVae.movingSquare(5, 8), TinyVae.randn(8, 1, 4, 3, 4, 4), new VaeLoss.Config(VaeLoss.Reconstruction.L2, 0.5, false));
    }

    /** 17 frames: encoder batches of 9 and 8 frames, decoder batches of 3, 2, 2 and 2 latent frames, as inference runs them. */
    @Test
    void inferenceFrameBatchesLinkedByTheConvCaches() {
        check(TinyVae.movingSquare(17, 8), TinyVae.randn(9, 1, 4, 9, 4, 4), new VaeLoss.Config(VaeLoss.Reconstruction.L2, 0.5, true));
    }
}
