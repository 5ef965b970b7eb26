package dev.cogvideox.verify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.model.schedule.StepOutput;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Cases of component {@code scheduler}, built from the case's model folder. Three kinds, told apart by their
 * tensors: the schedule ({@code out.alphas_cumprod}, {@code out.timesteps_<N>}), chained steps
 * ({@code in.model_output.<i>}, the DPM draws {@code in.step_noise.<i>.<j>} replayed in call order), and
 * add_noise / get_velocity.
 */
public final class SchedulerVerifier implements ComponentVerifier {
    @Override
    public String component() {
        return "scheduler";
    }

    @Override
    public void verify(GoldenCase c, Checker checker) {
        if (c.modelDir() == null) {
            throw new IllegalArgumentException(c.jsonPath() + ": a scheduler case needs model_dir");
        }
        CogVideoXScheduler scheduler = CogVideoXScheduler.fromPretrained(c.modelDir());
        if (c.has("out.alphas_cumprod")) {
            schedule(c, checker, scheduler);
        } else if (c.has("in.model_output.0")) {
            steps(c, checker, scheduler);
        } else if (c.has("out.noisy_samples")) {
            long[] t = c.longs("in.timesteps");
            checker.check("out.noisy_samples", scheduler.addNoise(c.tensor("in.original_samples"), c.tensor("in.noise"), t));
            checker.check("out.velocity", scheduler.getVelocity(c.tensor("in.original_samples"), c.tensor("in.noise"), t));
        } else {
            throw new IllegalArgumentException(c.jsonPath() + ": not a schedule, steps or add_noise case");
        }
    }

    private static void schedule(GoldenCase c, Checker checker, CogVideoXScheduler scheduler) {
        double[] ac = scheduler.alphasCumprod();
        float[] acf = new float[ac.length];
        for (int i = 0; i < ac.length; i++) {
            acf[i] = (float) ac[i];
        }
        checker.check("out.alphas_cumprod", Tensor.of(acf, acf.length));
        for (JsonNode n : c.spec().path("arguments").path("set_timesteps")) {
            scheduler.setTimesteps(n.asInt());
            checker.checkLongs("out.timesteps_" + n.asInt(), scheduler.timesteps());
        }
    }

    private static void steps(GoldenCase c, Checker checker, CogVideoXScheduler scheduler) {
        scheduler.setTimesteps(c.spec().path("arguments").path("num_inference_steps").asInt());
        long[] timesteps = scheduler.timesteps();
        checker.checkLongs("out.timesteps", timesteps);
        List<Tensor> draws = new ArrayList<>();
        for (JsonNode step : c.spec().path("steps")) {
            step.path("noise_tensors").forEach(name -> draws.add(c.tensor(name.asText())));
        }
        NoiseSource.Replay noise = NoiseSource.replay(draws);
        Tensor sample = c.tensor("in.sample");
        for (int i = 0; c.has("in.model_output." + i); i++) {
            StepOutput out = scheduler.step(c.tensor("in.model_output." + i), timesteps[i], sample, noise);
            checker.check("out.prev_sample." + i, out.prevSample());
            checker.check("out.pred_original_sample." + i, out.predOriginalSample());
            sample = out.prevSample();
        }
        checker.checkEquals("recorded draws left unused", 0, noise.remaining());
    }
}
