package dev.cogvideox.cli;

import dev.cogvideox.model.cache.CacheReport;
import dev.cogvideox.model.cache.CacheSetting;
import dev.cogvideox.model.sparse.SparseSetting;
import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.model.schedule.CogVideoXSchedulerConfig;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.pipeline.CogVideoXPipeline;
import dev.cogvideox.pipeline.GenerationRequest;
import dev.cogvideox.pipeline.Sampling;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.Locale;

/**
 * The options of {@code generate} that spend fewer transformer passes: a custom timestep list (few-step distilled
 * LoRAs), a step cache, sparse attention, and presets for published few-step models. docs/performance.md has what each costs.
 */
final class SamplingOptions {
    /** TDM-CogVideoX-2B (arXiv 2503.06674): the timesteps its LoRA was trained on, per its README. */
    static final long[] TDM_TIMESTEPS = {999, 856, 665, 399};

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--timesteps", paramLabel = "T1,T2,...", description = "Denoise at these timesteps instead of --steps evenly spaced "
            + "ones, each step going to the next one (the last to the clean video): strictly decreasing, within [0, 1000), e.g. 999,856,665,399 (default: none, the scheduler's own for --steps).")
    String timesteps;

    @Option(names = "--cache", paramLabel = "SETTING", description = "Reuse work across steps: none (default), teacache:THRESHOLD "
            + "(skip whole transformer passes; 0.1-0.3 published, 0 computes every step; its polynomial is the model folder's "
            + "teacache.json (cogvideox cache calibrate) when there is one, else the published one of the model's variant), "
            + "teacache:THRESHOLD:FILE (the polynomial of a calibration file; FILE published: the variant's published one), pab[:SKIP[:LOW-HIGH]] (Pyramid Attention "
            + "Broadcast: recompute each block's attention every SKIP steps within timesteps LOW-HIGH; default pab:2:100-800).")
    String cache;

    @Option(names = "--attention", paramLabel = "SETTING", description = "dense (default), sparse, sparse:FRACTION or "
            + "sparse:FRACTION:MAX_ERROR: Sparse VideoGen's attention, each head classified per step as spatial (its own frame) or "
            + "temporal (its position in every frame) and attending only those keys and the text, after the first FRACTION of the "
            + "steps (default 0.3), which stay dense; with MAX_ERROR a head whose better mask misses its profiled rows by more than "
            + "that (relative squared error, e.g. 0.05) stays dense at that step.")
    String attention;

    @Option(names = "--preset", paramLabel = "NAME", description = "A published few-step setting: tdm-cogvideox-2b (CogVideoX-2b with the "
            + "TDM LoRA given by --lora: timesteps 999,856,665,399, guidance 1 (no CFG), the DDIM sampler) (default: none).")
    String preset;

    /** The timestep list {@link #applyTo} set (given, or the preset's), or null. */
    private long[] applied;

    /** Sets the request's sampling; a preset also sets the steps and guidance unless the command line gives them. */
    void applyTo(GenerationRequest.Builder b, CogVideoXPipeline pipeline) {
        applyTo(b, pipeline, report -> System.err.println(report.describe()));
    }

    /** As {@link #applyTo(GenerationRequest.Builder, CogVideoXPipeline)}, the cache's report of each generation going to {@code cacheReport}. */
    void applyTo(GenerationRequest.Builder b, CogVideoXPipeline pipeline, java.util.function.Consumer<CacheReport> cacheReport) {
        CogVideoXTransformerConfig cfg = pipeline.transformerConfig();
        long[] list = timesteps != null ? parseTimesteps(timesteps, pipeline.scheduler().config().numTrainTimesteps()) : null;
        if (preset != null) {
            if (!preset.strip().toLowerCase(Locale.ROOT).equals("tdm-cogvideox-2b")) {
                throw new IllegalArgumentException("--preset " + preset + ": unknown preset; the one there is: tdm-cogvideox-2b");
            }
            // the sampler the pipeline runs, by its config's class name, as GenerationDefaults reads it for dynamic guidance
            String sampler = pipeline.scheduler().config().className();
            if (!cfg.variant().equals("2b") || !CogVideoXSchedulerConfig.DDIM.equals(sampler)) {
                throw new IllegalArgumentException("--preset tdm-cogvideox-2b is for CogVideoX-2b with its DDIM scheduler (the TDM LoRA "
                        + "was distilled from it); this is a " + cfg.variant() + " model with the "
                        + sampler + (given("--scheduler") ? " (--scheduler)" : ""));
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
        if (setting.kind() == CacheSetting.Kind.TEACACHE) {
            try {
                setting.coefficients(cfg, pipeline.modelDir());          // a bad coefficients file fails before any work
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("--cache " + setting + ": " + e.getMessage(), e);
            }
        }
        SparseSetting sparse;
        try {
            sparse = attention == null ? SparseSetting.DENSE : SparseSetting.parse(attention);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--attention " + e.getMessage());
        }
        applied = list;
        b.sampling(new Sampling(list, setting, cacheReport, sparse, System.err::println));
    }

    /** Records these options for a rerun with {@code --from}. */
    void record(RunSettings settings) {
        settings.put("--timesteps", applied == null ? null : java.util.Arrays.stream(applied).mapToObj(Long::toString)
                .collect(java.util.stream.Collectors.joining(","))).put("--cache", cache).put("--attention", attention).put("--preset", preset);
    }

    private boolean given(String option) {
        return spec != null && spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    /** A comma-separated list, checked: integers, strictly decreasing, within [0, num_train_timesteps). */
    static long[] parseTimesteps(String text, int numTrainTimesteps) {
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
        String wrong = CogVideoXScheduler.checkTimesteps(t, numTrainTimesteps);
        if (wrong != null) {
            throw new IllegalArgumentException("--timesteps " + text + ": " + wrong);
        }
        return t;
    }
}
