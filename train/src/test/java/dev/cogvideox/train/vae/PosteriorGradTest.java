package dev.cogvideox.train.vae;

import dev.cogvideox.model.vae.DiagonalGaussianDistribution;
import dev.cogvideox.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The reparameterised sample and the KL term back to the moments, against central differences in double. */
class PosteriorGradTest {
    private static final double KL = 0.37;

    /** {@code p . z + KL * kl} in double for moments {@code m} (mean, raw logvar). */
    private static double loss(double[] m, double[] noise, double[] p) {
        int half = m.length / 2;
        double s = 0;
        for (int i = 0; i < half; i++) {
            double lv = Math.clamp(m[half + i], -30, 20);
            s += p[i] * (m[i] + Math.exp(0.5 * lv) * noise[i]);
            s += KL * 0.5 * (m[i] * m[i] + Math.exp(lv) - 1 - lv);
        }
        return s;
    }

    @Test
    void meanAndLogVarianceGradients() {
        Tensor moments = TinyVae.randn(1, 1, 4, 2, 2, 3), noise = TinyVae.randn(2, 1, 2, 2, 2, 3), p = TinyVae.randn(3, 1, 2, 2, 2, 3);
        moments.data()[24 + 5] = -31f;                                        // a log-variance the clamp holds at -30
        double[] m = new double[moments.numel()], e = new double[noise.numel()], pd = new double[p.numel()];
        for (int i = 0; i < m.length; i++) {
            m[i] = moments.data()[i];
        }
        for (int i = 0; i < e.length; i++) {
            e[i] = noise.data()[i];
            pd[i] = p.data()[i];
        }
        // the forward is the inference posterior's
        DiagonalGaussianDistribution post = DiagonalGaussianDistribution.of(moments);
        Tensor z = post.sample(noise);
        double twin = loss(m, e, pd);
        double kernel = post.klSum() * KL;
        for (int i = 0; i < z.numel(); i++) {
            kernel += p.data()[i] * z.data()[i];
        }
        assertThat(kernel).isCloseTo(twin, within(1e-4 * Math.abs(twin)));

        Tensor d = PosteriorGrad.backward(moments, noise, p, KL);
        for (int i = 0; i < m.length; i++) {
            double keep = m[i], h = 1e-6 * Math.max(1, Math.abs(keep));
            m[i] = keep + h;
            double plus = loss(m, e, pd);
            m[i] = keep - h;
            double minus = loss(m, e, pd);
            m[i] = keep;
            double fd = (plus - minus) / (2 * h);
            assertThat((double) d.data()[i]).as("dmoments[%d]", i).isCloseTo(fd, within(1e-4 * (1 + Math.abs(fd))));
        }
        assertThat(d.data()[24 + 5]).as("clamped log-variance").isZero();
    }
}
