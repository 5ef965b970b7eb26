package dev.cogvideox.model.schedule;

import dev.cogvideox.tensor.Shapes;
import dev.cogvideox.tensor.Tensor;

/**
 * The part both CogVideoX schedulers share (their diffusers sources are copies of each other): alphas_cumprod,
 * the inference timesteps, alpha_bar lookup, the x_0 prediction, add_noise and get_velocity.
 */
final class NoiseSchedule {
    private final CogVideoXSchedulerConfig config;
    private final double[] alphasCumprod;
    private final double finalAlphaCumprod;

    NoiseSchedule(CogVideoXSchedulerConfig config) {
        this.config = config;
        int n = config.numTrainTimesteps();
        // 1. scaled_linear betas: torch.linspace(sqrt(beta_start), sqrt(beta_end), T, float64) ** 2
        double[] ac = torchLinspace(Math.sqrt(config.betaStart()), Math.sqrt(config.betaEnd()), n);
        // 2. alphas = 1 - betas, cumulative product
        double prod = 1.0;
        for (int i = 0; i < n; i++) {
            prod *= 1.0 - ac[i] * ac[i];
            ac[i] = prod;
        }
        // 3. SNR shift (SD3 style): ac / (s + (1 - s) * ac)
        double s = config.snrShiftScale();
        for (int i = 0; i < n; i++) {
            ac[i] = ac[i] / (s + (1 - s) * ac[i]);
        }
        // 4. zero-terminal-SNR rescale of alphas_cumprod itself (arXiv:2305.08891, Algorithm 1): ac[T-1] becomes 0
        if (config.rescaleBetasZeroSnr()) {
            double[] sqrt = new double[n];
            for (int i = 0; i < n; i++) {
                sqrt[i] = Math.sqrt(ac[i]);
            }
            double first = sqrt[0], last = sqrt[n - 1];
            double scale = first / (first - last);
            for (int i = 0; i < n; i++) {
                double shifted = (sqrt[i] - last) * scale;
                ac[i] = shifted * shifted;
            }
        }
        this.alphasCumprod = ac;
        this.finalAlphaCumprod = config.setAlphaToOne() ? 1.0 : ac[0];
    }

    /**
     * {@code torch.linspace(start, end, steps, dtype=float64)} bit for bit as torch 1.13's AVX2 CPU kernel computes
     * it: the first half counts up from {@code start}, the second half down from {@code end}; elements come in
     * vectors of 4 built as {@code base + k * step} from the vector's first index, 8 per loop turn, the remainder
     * one by one; and GCC contracts every multiply-add into a fused one. Plain {@code start + i * step} moves
     * about half of the 1000 betas by an ulp.
     */
    static double[] torchLinspace(double start, double end, int steps) {
        double[] out = new double[steps];
        if (steps == 1) {
            out[0] = start;
            return out;
        }
        double step = (end - start) / (steps - 1);
        int halfway = steps / 2;
        int vectorized = steps - steps % 8;
        for (int i = 0; i < steps; i++) {
            int base = i < vectorized ? i & ~3 : i;
            double b = base < halfway ? Math.fma(step, base, start) : Math.fma(-step, steps - base - 1, end);
            out[i] = i == base ? b : Math.fma(i - base, step, b);
        }
        return out;
    }

    CogVideoXSchedulerConfig config() {
        return config;
    }

    double[] alphasCumprod() {
        return alphasCumprod.clone();
    }

    double finalAlphaCumprod() {
        return finalAlphaCumprod;
    }

    /** {@code alphas_cumprod[t]} with Python indexing: t = -1 (the N+1 quirk's last timestep) is the last entry. */
    double alpha(long t) {
        int n = alphasCumprod.length;
        if (t < -n || t >= n) {
            throw new IllegalArgumentException("timestep " + t + " is outside [-" + n + ", " + n + ")");
        }
        return alphasCumprod[(int) (t < 0 ? t + n : t)];
    }

    /** alpha_bar of the step's target: {@code alphas_cumprod[prev_t]}, or final_alpha_cumprod when prev_t < 0. */
    double alphaPrev(long prevTimestep) {
        return prevTimestep >= 0 ? alpha(prevTimestep) : finalAlphaCumprod;
    }

    /** {@code prev_t = t - T // N} (semantics.md: not the next list entry). */
    long prevTimestep(long timestep, int numInferenceSteps) {
        return timestep - config.numTrainTimesteps() / numInferenceSteps;
    }

    /** {@code set_timesteps(N)}: the inference timesteps for the configured spacing. */
    long[] timesteps(int numInferenceSteps) {
        int train = config.numTrainTimesteps();
        if (numInferenceSteps < 1) {
            throw new IllegalArgumentException("num_inference_steps must be at least 1, got " + numInferenceSteps);
        }
        if (numInferenceSteps > train) {
            throw new IllegalArgumentException("num_inference_steps " + numInferenceSteps
                    + " cannot be larger than num_train_timesteps " + train
                    + ": the model was trained with this scheduler on " + train + " timesteps only");
        }
        return switch (config.timestepSpacing()) {
            case TRAILING -> trailing(train, numInferenceSteps);
            case LEADING -> leading(train, numInferenceSteps, config.stepsOffset());
            case LINSPACE -> linspace(train, numInferenceSteps);
        };
    }

    /**
     * {@code np.round(np.arange(T, 0, -T / N)) - 1}. numpy's float arange has {@code ceil(T / (T / N))} entries,
     * which is N + 1 for some N (61 gives 62, the last one -1), and fills them as {@code start + i * delta} with
     * {@code delta = (start + step) - start}; np.round rounds half to even ({@link Math#rint}).
     */
    private static long[] trailing(int train, int n) {
        double step = -((double) train / n);
        double start = train;
        int length = (int) Math.ceil((0 - start) / step);
        double delta = (start + step) - start;
        long[] t = new long[length];
        for (int i = 0; i < length; i++) {
            double v = i == 0 ? start : i == 1 ? start + step : start + i * delta;
            t[i] = (long) Math.rint(v) - 1;
        }
        return t;
    }

    /** {@code (np.arange(0, N) * (T // N)).round()[::-1] + steps_offset}. */
    private static long[] leading(int train, int n, int offset) {
        long ratio = train / n;
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            t[i] = (long) (n - 1 - i) * ratio + offset;
        }
        return t;
    }

    /** {@code np.linspace(0, T - 1, N).round()[::-1]}: entries {@code i * step}, the last one exactly T - 1. */
    private static long[] linspace(int train, int n) {
        double stop = train - 1;
        double step = n > 1 ? stop / (n - 1) : 0;
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            double v = n > 1 && i == n - 1 ? stop : i * step;
            t[n - 1 - i] = (long) Math.rint(v);
        }
        return t;
    }

    /**
     * x_0 predicted from the model output (DDIM paper eq. 12), each float64 coefficient rounded to float32:
     * v_prediction {@code sqrt(a) * x - sqrt(1 - a) * v}; epsilon {@code (x - sqrt(1 - a) * eps) / sqrt(a)};
     * sample: the output itself.
     */
    Tensor predictOriginalSample(Tensor modelOutput, Tensor sample, double alphaProd) {
        if (!modelOutput.sameShape(sample)) {
            throw new IllegalArgumentException("model_output " + Shapes.str(modelOutput.shape())
                    + " and sample " + Shapes.str(sample.shape()) + " differ in shape");
        }
        float sqrtA = (float) Math.sqrt(alphaProd);
        float sqrtB = (float) Math.sqrt(1 - alphaProd);
        float[] m = modelOutput.data(), x = sample.data();
        float[] out = new float[x.length];
        switch (config.predictionType()) {
            case V_PREDICTION -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = sqrtA * x[i] - sqrtB * m[i];
                }
            }
            case EPSILON -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = (x[i] - sqrtB * m[i]) / sqrtA;
                }
            }
            case SAMPLE -> System.arraycopy(m, 0, out, 0, out.length);
        }
        return Tensor.of(out, sample.shape());
    }

    /** {@code add_noise}: {@code sqrt(a) * x0 + sqrt(1 - a) * noise}, a = alphas_cumprod[t] cast to float32 first. */
    Tensor addNoise(Tensor originalSamples, Tensor noise, long[] timesteps) {
        return perSample("add_noise", originalSamples, noise, timesteps, false);
    }

    /** {@code get_velocity}: {@code sqrt(a) * noise - sqrt(1 - a) * sample}, a cast to float32 first. */
    Tensor getVelocity(Tensor sample, Tensor noise, long[] timesteps) {
        return perSample("get_velocity", sample, noise, timesteps, true);
    }

    /**
     * The shared body of add_noise / get_velocity: one timestep per sample along dim 0 (or one for all), the
     * coefficients in float32 ({@code alphas_cumprod.to(sample dtype)}, then float32 sqrt), as semantics.md says.
     */
    private Tensor perSample(String what, Tensor x, Tensor noise, long[] timesteps, boolean velocity) {
        if (!x.sameShape(noise)) {
            throw new IllegalArgumentException(what + ": sample " + Shapes.str(x.shape()) + " and noise "
                    + Shapes.str(noise.shape()) + " differ in shape");
        }
        int batch = x.rank() == 0 ? 1 : x.dim(0);
        if (timesteps.length != 1 && timesteps.length != batch) {
            throw new IllegalArgumentException(what + ": " + timesteps.length + " timesteps for a batch of " + batch
                    + " (need 1 or " + batch + ")");
        }
        float[] a = x.data(), n = noise.data();
        float[] out = new float[a.length];
        int per = batch == 0 ? 0 : a.length / batch;
        for (int b = 0; b < batch; b++) {
            float acf = (float) alpha(timesteps[timesteps.length == 1 ? 0 : b]);
            float sqrtA = (float) Math.sqrt(acf);
            float sqrtB = (float) Math.sqrt(1f - acf);
            for (int i = b * per; i < (b + 1) * per; i++) {
                out[i] = velocity ? sqrtA * n[i] - sqrtB * a[i] : sqrtA * a[i] + sqrtB * n[i];
            }
        }
        return Tensor.of(out, x.shape());
    }
}
