package dev.cogvideox.model.vae;

import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Tensor;

/**
 * The encoder's posterior {@code N(mean, exp(logvar))}, per latent element. {@code logvar} is already clamped to
 * {@code [-30, 20]} as in the reference.
 *
 * @param mean   {@code [B, latent, t, h, w]}
 * @param logvar {@code [B, latent, t, h, w]}
 */
public record DiagonalGaussianDistribution(Tensor mean, Tensor logvar) {
    public DiagonalGaussianDistribution {
        if (!mean.sameShape(logvar)) {
            throw new IllegalArgumentException("posterior: mean " + mean + " and logvar " + logvar + " differ");
        }
    }

    /** Splits the encoder output {@code [B, 2*latent, t, h, w]} into mean and (clamped) log-variance along channels. */
    public static DiagonalGaussianDistribution of(Tensor moments) {
        int half = moments.dim(1) / 2;
        Tensor mean = Layout.narrow(moments, 1, 0, half); // [B, latent, t, h, w]
        Tensor logvar = Ops.map(Layout.narrow(moments, 1, half, half), v -> Math.clamp(v, -30f, 20f)); // [B, latent, t, h, w]
        return new DiagonalGaussianDistribution(mean, logvar);
    }

    /** {@code exp(0.5 * logvar)}. */
    public Tensor std() {
        return Ops.map(logvar, v -> (float) Math.exp(0.5f * v)); // [B, latent, t, h, w]
    }

    /** {@code mean + std * noise}, with {@code noise} the standard normal draw the reference takes ({@code randn_tensor}). */
    public Tensor sample(Tensor noise) {
        if (!noise.sameShape(mean)) {
            throw new IllegalArgumentException("posterior sample: noise " + noise + " must have the latent shape " + mean);
        }
        return Ops.add(mean, Ops.mul(std(), noise)); // [B, latent, t, h, w]
    }

    /**
     * The KL divergence from the standard normal, summed over every element (in double):
     * {@code sum 0.5 * (mean^2 + exp(logvar) - 1 - logvar)}, the reference's {@code kl()} summed over all axes.
     */
    public double klSum() {
        float[] m = mean.data(), lv = logvar.data();
        double s = 0;
        for (int i = 0; i < m.length; i++) {
            s += 0.5 * ((double) m[i] * m[i] + Math.exp(lv[i]) - 1 - lv[i]);
        }
        return s;
    }

    /** The mode: {@code mean}. */
    public Tensor mode() {
        return mean;
    }
}
