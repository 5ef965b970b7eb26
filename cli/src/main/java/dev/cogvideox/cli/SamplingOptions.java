package dev.cogvideox.cli;

import dev.cogvideox.model.cache.CacheSetting;
import dev.cogvideox.model.schedule.CogVideoXDDIMScheduler;
import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.pipeline.GenerationRequest;
import dev.cogvideox.pipeline.Sampling;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Locale;

/**
 * The options of {@code generate} that spend fewer transformer passes: a custom timestep list (few-step distilled
 * LoRAs), a step cache, and presets for published few-step models. docs/performance.md has what each costs.
 */
final class SamplingOptions {
    /** TDM-CogVideoX-2B (arXiv 2503.06674): the timesteps its LoRA was trained on, per its README. */
    static final long[] TDM_TIMESTEPS = {999, 856, 665, 399};

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--timesteps", paramLabel = "T1,T2,...", description = "Denoise at these timesteps instead of --steps evenly spaced "
            + "ones, each step going to the next one (the last to the clean video): strictly decreasing, within [0, 1000), e.g. 999,856,665,399.")
    String timesteps;

    @Option(names = "--cache", paramLabel = "SETTING", description = "Reuse work across steps: none (default), teacache:THRESHOLD "
            + "(skip whole transformer passes; 0.1-0.3 published, 0 computes every step), pab[:SKIP[:LOW-HIGH]] (Pyramid Attention "
            + "Broadcast: recompute each block's attention every SKIP steps within timesteps LOW-HIGH; default pab:2:100-800).")
    String cache;

    @Option(names = "--preset", paramLabel = "NAME", description = "A published few-step setting: tdm-cogvideox-2b (CogVideoX-2b with the "
            + "TDM LoRA given by --lora: timesteps 999,856,665,399, guidance 1 (no CFG), the DDIM sampler).")
    String preset;

    /** Sets the request's sampling; a preset also sets the steps and guidance unless the command line gives them. */
    void applyTo(GenerationRequest.Builder b, Path modelDir, CogVideoXTransformerConfig cfg) {
        long[] list = timesteps != null ? parseTimesteps(timesteps) : null;
        if (preset != null) {
            if (!preset.strip().toLowerCase(Locale.ROOT).equals("tdm-cogvideox-2b")) {
                throw new IllegalArgumentException("--preset " + preset + ": unknown preset; the one there is: tdm-cogvideox-2b");
            }
            if (!cfg.variant().equals("2b") || !(CogVideoXScheduler.fromPretrained(modelDir) instanceof CogVideoXDDIMScheduler)) {
                throw new IllegalArgumentException("--preset tdm-cogvideox-2b is for CogVideoX-2b with its DDIM scheduler (the TDM LoRA "
                        + "was distilled from it); " + modelDir + " is a " + cfg.variant() + " model");
            }
            if (list == null) {
                list = TDM_TIMESTEPS.clone();
            }
            if (!given("--guidance")) {
                b.guidance(1.0);
            }
        }
        if (list != null) {
            if (given("--steps")) {
                throw new IllegalArgumentException("--steps and --timesteps (or --preset): the timestep list sets the steps; drop --steps");
            }
            b.steps(list.length);
        }
        CacheSetting setting;
        try {
            setting = cache == null ? CacheSetting.NONE : CacheSetting.parse(cache);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--cache " + e.getMessage());
        }
        b.sampling(new Sampling(list, setting, report -> System.err.println(report.describe())));
    }

    private boolean given(String option) {
        return spec != null && spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    /** A comma-separated list, checked: integers, strictly decreasing, within [0, 1000). */
    static long[] parseTimesteps(String text) {
        String[] parts = text.split(",", -1);
        long[] t = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                t[i] = Long.parseLong(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--timesteps " + text + ": '" + parts[i].strip() + "' is not an integer timestep "
                        + "(give a comma-separated list such as 999,856,665,399)");
            }
        }
        String wrong = CogVideoXScheduler.checkTimesteps(t, 1000);
        if (wrong != null) {
            throw new IllegalArgumentException("--timesteps " + text + ": " + wrong);
        }
        return t;
    }
}
