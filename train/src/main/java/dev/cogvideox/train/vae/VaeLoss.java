package dev.cogvideox.train.vae;

import dev.cogvideox.model.vae.DiagonalGaussianDistribution;
import dev.cogvideox.model.vae.Gradients;
import dev.cogvideox.model.vae.Tape;
import dev.cogvideox.model.vae.VaeOptions;
import dev.cogvideox.tensor.Tensor;

/**
 * The VAE's training objective: reconstruction (L1 or L2) plus {@code klWeight} times the KL divergence of the
 * posterior from N(0, I), without the perceptual and adversarial terms. Both are per pixel: the reconstruction is
 * the mean over every pixel value, the KL its sum over every latent value divided by the number of pixel values.
 * That is latent-diffusion's {@code LPIPSWithDiscriminator} loss without LPIPS and GAN (sums per sample, with its
 * learned log-variance at 0) divided by the pixel count, so {@code klWeight} means what its {@code kl_weight} means.
 *
 * <p>{@link #step} runs the encoder and decoder (over the whole clips, or over inference's frame batches) in one
 * recorded pass, draws the sample with the given noise, and backpropagates through both into the VAE's parameters.
 */
public final class VaeLoss {
    /** The reconstruction term. */
    public enum Reconstruction { L1, L2 }

    /**
     * @param frameBatches run the encoder and decoder over the frame batches inference uses (the reference's 8 frames
     *                     per encoder batch and 2 latent frames per decoder batch, linked by the conv caches, GroupNorm
     *                     statistics per batch): the trained VAE is then exactly the function {@code encode} and
     *                     {@code decode} compute. Otherwise the whole clip in one pass (statistics over the clip).
     */
    public record Config(Reconstruction reconstruction, double klWeight, boolean frameBatches) {
        public Config {
            if (klWeight < 0) {
                throw new IllegalArgumentException("the KL weight must not be negative, got " + klWeight);
            }
        }
    }

    /** The loss and its two terms (the KL before its weight). */
    public record Value(double loss, double reconstruction, double kl) {
    }

    private VaeLoss() {
    }

    /**
     * One forward and backward pass: {@code clips [B, 3, F, H, W]} in {@code [-1, 1]}, {@code noise} the posterior
     * sample's draw {@code [B, latent, t, H/8, W/8]}. Adds the gradients to {@code vae}'s parameters.
     */
    public static Value step(TrainableVae vae, Tensor clips, Tensor noise, Config cfg) {
        Tape tape = Tape.recording();
        // 1. encode, sample, decode: the inference modules, recording
        VaeOptions batches = vae.vae().defaultOptions();
        Tensor moments = vae.vae().encoderForward(clips, cfg.frameBatches() ? batches.numSampleFramesBatchSize() : clips.dim(2), tape); // [B, 2*latent, t, h, w]
        DiagonalGaussianDistribution posterior = DiagonalGaussianDistribution.of(moments);
        Tensor z = posterior.sample(noise); // [B, latent, t, h, w]
        Tensor recon = vae.vae().decoderForward(z, cfg.frameBatches() ? batches.numLatentFramesBatchSize() : z.dim(2), tape); // [B, 3, F, H, W]
        if (!recon.sameShape(clips)) {
            throw new IllegalArgumentException("VAE training: clips " + clips + " decode to " + recon + "; use 1 + "
                    + vae.config().temporalCompressionRatio() + "k frames");
        }
        // 2. the loss and dL/drecon
        double pixels = clips.numel();
        float[] x = clips.data(), y = recon.data();
        Tensor dRecon = Tensor.zeros(recon.shape());
        float[] dr = dRecon.data();
        double rec = 0;
        for (int i = 0; i < y.length; i++) {
            double diff = (double) y[i] - x[i];
            if (cfg.reconstruction() == Reconstruction.L1) {
                rec += Math.abs(diff);
                dr[i] = (float) (Math.signum(diff) / pixels);
            } else {
                rec += diff * diff;
                dr[i] = (float) (2 * diff / pixels);
            }
        }
        rec /= pixels;
        double kl = posterior.klSum() / pixels;
        // 3. backward: decoder, posterior (sample and KL), encoder
        Gradients grads = new Gradients();
        Tensor dz = vae.vae().decoderBackward(dRecon, tape, grads);
        Tensor dMoments = PosteriorGrad.backward(moments, noise, dz, cfg.klWeight() / pixels);
        vae.vae().encoderBackward(dMoments, tape, grads);
        if (!tape.isEmpty()) {
            throw new IllegalStateException("VAE training: the tape still holds entries after the backward pass");
        }
        vae.accumulate(grads);
        return new Value(rec + cfg.klWeight() * kl, rec, kl);
    }
}
