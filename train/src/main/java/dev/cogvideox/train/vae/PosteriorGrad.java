package dev.cogvideox.train.vae;

import dev.cogvideox.tensor.Tensor;

/**
 * The gradient through the posterior's reparameterised sample {@code z = mean + exp(logvar / 2) * noise} and the
 * KL term {@code kl = klScale * sum 0.5 * (mean^2 + exp(logvar) - 1 - logvar)}, back to the encoder's moments
 * {@code [B, 2*latent, t, h, w]} (mean, then raw log-variance, which the forward clamps to {@code [-30, 20]}: no
 * gradient passes where the clamp acts).
 */
public final class PosteriorGrad {
    private PosteriorGrad() {
    }

    /**
     * @param moments the encoder's output
     * @param noise   the standard normal draw of the sample, {@code [B, latent, t, h, w]}
     * @param dz      {@code dL/dz}
     * @param klScale the KL term's factor in the loss
     * @return {@code dL/dmoments}
     */
    public static Tensor backward(Tensor moments, Tensor noise, Tensor dz, double klScale) {
        int b = moments.dim(0), half = moments.dim(1) / 2, plane = moments.numel() / (b * 2 * half);
        if (!noise.sameShape(dz) || noise.numel() * 2 != moments.numel()) {
            throw new IllegalArgumentException("posterior backward: moments " + moments + ", noise " + noise + " and dz " + dz + " do not fit");
        }
        Tensor d = Tensor.zeros(moments.shape());
        float[] m = moments.data(), e = noise.data(), g = dz.data(), dd = d.data();
        for (int s = 0; s < b; s++) {
            for (int i = 0; i < half * plane; i++) {
                int mi = s * 2 * half * plane + i, li = mi + half * plane, zi = s * half * plane + i;
                double raw = m[li];
                double lv = Math.clamp(raw, -30, 20);
                double std = Math.exp(0.5 * lv);
                dd[mi] = (float) (g[zi] + klScale * m[mi]);
                dd[li] = raw < -30 || raw > 20 ? 0f : (float) (g[zi] * e[zi] * 0.5 * std + klScale * 0.5 * (std * std - 1));
            }
        }
        return d;
    }
}
