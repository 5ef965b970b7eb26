package dev.cogvideox.train.loss;

import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.tensor.Tensor;

/**
 * The loss of diffusers' {@code train_cogvideox_lora.py} (and of the SAT training code), latents {@code [B, F, C, H, W]}:
 * <pre>
 *   noisy   = sqrt(acf[t]) x0 + sqrt(1 - acf[t]) noise         scheduler.add_noise, acf = alphas_cumprod as float32
 *   v       = transformer(noisy, ...)
 *   x0_pred = sqrt(acf[t]) noisy - sqrt(1 - acf[t]) v         scheduler.get_velocity(v, noisy, t)
 *   w_b     = 1 / (1 - alphas_cumprod[t_b])                   float64
 *   loss    = mean_b( mean( w_b * (x0_pred - x0)^2 ) )
 * </pre>
 * As in the reference, the float64 weight promotes the float32 squared error, so the means and the loss are float64;
 * in the backward pass {@code w_b / (B * numel_b)} is rounded to float32 where it meets the squared error (fixtures
 * README, "Training cases"). The weighted x0 loss equals the plain v-space MSE against
 * {@code sqrt(acf) noise - sqrt(1 - acf) x0}.
 */
public final class VPredictionLoss {
    private VPredictionLoss() {
    }

    /**
     * The loss and the gradient of the model output.
     *
     * @param loss         the float64 loss
     * @param perSample    the float64 per-sample means {@code [B]}
     * @param weights      {@code 1 / (1 - alphas_cumprod[t_b])}, float64 {@code [B]}
     * @param modelPred    {@code x0_pred} {@code [B, F, C, H, W]}
     * @param dModelOutput {@code d loss / d v}, float32 like v
     */
    public record Value(double loss, double[] perSample, double[] weights, Tensor modelPred, Tensor dModelOutput) {
    }

    /** {@code scheduler.add_noise(x0, noise, t)}: the transformer's (video) input. */
    public static Tensor noisyInput(CogVideoXScheduler scheduler, Tensor x0, Tensor noise, long[] timesteps) {
        return scheduler.addNoise(x0, noise, timesteps);
    }

    /**
     * @param modelOutput the transformer prediction v {@code [B, F, C, H, W]}
     * @param noisy       the noisy (video) latents the prediction was made from
     * @param x0          the clean latents (the target)
     */
    public static Value evaluate(CogVideoXScheduler scheduler, Tensor modelOutput, Tensor noisy, Tensor x0, long[] timesteps) {
        modelOutput.requireShape("model output", x0.shape());
        int b = x0.dim(0), per = x0.numel() / b;
        if (timesteps.length != b) {
            throw new IllegalArgumentException(timesteps.length + " timesteps for a batch of " + b);
        }
        double[] ac = scheduler.alphasCumprod();
        Tensor pred = scheduler.getVelocity(modelOutput, noisy, timesteps);                    // [B, F, C, H, W]
        float[] p = pred.data(), x = x0.data();
        float[] grad = new float[p.length];
        double[] weights = new double[b], perSample = new double[b];
        double total = 0;
        for (int s = 0; s < b; s++) {
            double alphaBar = ac[(int) timesteps[s]];
            weights[s] = 1.0 / (1.0 - alphaBar);
            float acf = (float) alphaBar;
            float sqrtOneMinus = (float) Math.sqrt(1f - acf);
            // d loss / d (err^2) = w_b / B / numel_b, rounded to float32 where it meets the float32 squared error
            float dSquared = (float) (weights[s] * (1.0 / b / per));
            double sum = 0;
            for (int i = s * per; i < (s + 1) * per; i++) {
                float err = p[i] - x[i];
                float squared = err * err;
                sum += weights[s] * squared;
                // d err^2 / d err = 2 err; d x0_pred / d v = -sqrt(1 - acf)
                grad[i] = -(dSquared * (2f * err) * sqrtOneMinus);
            }
            perSample[s] = sum / per;
            total += perSample[s];
        }
        return new Value(total / b, perSample, weights, pred, Tensor.of(grad, x0.shape()));
    }
}
