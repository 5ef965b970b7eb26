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
 * spread over every kind of layer, against central differences of the loss computed by the inference forward.
 * The forward runs in float, so the step is large (1e-2) and the tolerance 2%: enough to catch a missing term, a
 * wrong sign or a wrong index, which change a gradient by far more.
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

    private static double loss(TrainableVae vae, Tensor clip, Tensor noise, VaeLoss.Config cfg) {
        Tensor moments = vae.vae().encoderForward(clip, Tape.NONE);
        DiagonalGaussianDistribution post = DiagonalGaussianDistribution.of(moments);
        Tensor recon = vae.vae().decoderForward(post.sample(noise), Tape.NONE);
        double rec = 0;
        for (int i = 0; i < recon.numel(); i++) {
            double d = (double) recon.data()[i] - clip.data()[i];
            rec += cfg.reconstruction() == VaeLoss.Reconstruction.L1 ? Math.abs(d) : d * d;
        }
        return (rec + cfg.klWeight() * post.klSum()) / clip.numel();
    }

    @Test
    void matchesFiniteDifferencesOfTheWholeObjective() {
        TrainableVae vae = TrainableVae.initial(TinyVae.CONFIG, 7);
        Tensor clip = TinyVae.movingSquare(5, 8);
        Tensor noise = TinyVae.randn(8, 1, 4, 3, 4, 4);
        VaeLoss.Config cfg = new VaeLoss.Config(VaeLoss.Reconstruction.L2, 0.5);
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
}
