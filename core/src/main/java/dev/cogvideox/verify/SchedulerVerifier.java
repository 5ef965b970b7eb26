package dev.cogvideox.verify;

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
        String function = c.function();
        String cls = scheduler.getClass().getSimpleName();
        if (!function.startsWith(cls + ".")) {
            throw new IllegalArgumentException(c.jsonPath() + ": the case calls " + function + " but the model folder's scheduler is " + cls);
        }
        if (c.has("out.alphas_cumprod")) {
            schedule(c, checker, scheduler);
        } else if (c.has("in.model_output.0")) {
            steps(c, checker, scheduler);
        } else if (c.has("out.noisy_samples")) {
            SpecNode args = c.arguments();
            requireCall(args.get("add_noise"), "add_noise(in.original_samples, in.noise, in.timesteps)");
            requireCall(args.get("get_velocity"), "get_velocity(in.original_samples, in.noise, in.timesteps)");
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
        for (SpecNode n : c.arguments().get("set_timesteps")) {
            scheduler.setTimesteps(n.asInt());
            checker.checkLongs("out.timesteps_" + n.asInt(), scheduler.timesteps());
        }
    }

    private static void steps(GoldenCase c, Checker checker, CogVideoXScheduler scheduler) {
        SpecNode args = c.arguments();
        Implemented.returnDict(args);
        // each step takes the previous one's outputs (DPM: its pred_original_sample and timestep as the history)
        if (!args.get("call").asText().startsWith("step(model_output=in.model_output.{i}, ")) {
            throw new IllegalArgumentException(c.jsonPath() + ": arguments/call is not the chained step call implemented here");
        }
        scheduler.setTimesteps(args.get("num_inference_steps").asInt());
        long[] timesteps = scheduler.timesteps();
        checker.checkLongs("out.timesteps", timesteps);
        List<Tensor> draws = new ArrayList<>();
        for (SpecNode step : c.read("steps")) {
            step.get("noise_tensors").forEach(name -> draws.add(c.tensor(name.asText())));
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

    private static void requireCall(SpecNode call, String implemented) {
        if (!call.asText().equals(implemented)) {
            throw new IllegalArgumentException(call.path() + ": '" + call.asText() + "' is not the call implemented here (" + implemented + ")");
        }
    }
}
