package dev.cogvideox.cli;

import dev.cogvideox.io.video.VideoFormat;
import dev.cogvideox.io.video.VideoOptions;
import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriter;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.model.cache.CacheReport;
import dev.cogvideox.pipeline.CogVideoXPipeline;
import dev.cogvideox.pipeline.GenerationRequest;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.world.HeldOut;
import dev.cogvideox.world.eval.EvalPrompt;
import dev.cogvideox.world.eval.EvalReport;
import dev.cogvideox.world.eval.Evaluator;
import dev.cogvideox.world.eval.PipelineVideoSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code cogvideox evaluate}: how well a model follows the world's prompts, on held-out and seen combinations. */
@Command(name = "evaluate", description = "Generate a video per prompt and seed, detect the shape in it and score colour, shape and direction "
        + "against the prompt, separately for the held-out combinations and for seen ones.")
final class EvaluateCommand implements Callable<Integer> {
    @Mixin
    ModelSource modelSource;

    @Option(names = "--prompts", description = "One world prompt per line (default: every held-out combination and --seen seen ones).")
    Path prompts;

    @Option(names = "--seen", description = "Without --prompts: how many seen combinations to sample (default: as many as are held out; "
            + "always the same sample).")
    Integer seen;

    @Option(names = "--seeds", defaultValue = "4", description = "Videos per prompt, seeds 0..N-1 (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--steps", defaultValue = "50", description = "Denoising steps, as generate (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--guidance", defaultValue = "6.0", description = "As generate (default: ${DEFAULT-VALUE}).")
    double guidance;

    @Option(names = "--videos", description = "Also keep every video as a GIF in this folder (held_out-003-seed1.gif: group, prompt number, seed).")
    Path videos;

    @Option(names = "--json", description = "Print the report as JSON (settings, the two groups' scores, every video) instead of a table.")
    boolean json;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    WeightsOption weights;

    @Mixin
    ComputeOption compute;

    @Override
    public Integer call() throws Exception {
        if (prompts != null && seen != null) {
            throw new IllegalArgumentException("--seen samples the default prompts: drop it, or drop --prompts");
        }
        List<EvalPrompt> list = prompts != null ? EvalPrompt.read(prompts)
                : EvalPrompt.defaults(seen != null ? seen : HeldOut.combinations().size(), 0);
        if (videos != null) {
            Files.createDirectories(videos);
        }
        Path dir = modelSource.resolve();
        CogVideoXPipeline pipeline = CogVideoXPipeline.load(dir).withWeights(weights.format()).withKernels(compute.kernels(System.err));
        List<CacheReport> cacheReports = new java.util.concurrent.CopyOnWriteArrayList<>();   // one summary at the end, not a line per video
        PipelineVideoSource source = new PipelineVideoSource(pipeline, dir, steps, guidance, b -> {
            sampling.applyTo(b, pipeline, cacheReports::add);
            return b;
        });
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", dir.toString());
        settings.put("prompts", prompts != null ? prompts.toString() : "held-out list and a fixed sample of seen combinations");
        settings.put("seeds", seeds);
        settings.put("steps", steps);
        settings.put("guidance", guidance);
        settings.put("dynamic_cfg", source.dynamicCfg());
        settings.put("frames", source.frames());
        settings.put("size", source.width() + "x" + source.height());
        sampling.applyTo(GenerationRequest.builder(), pipeline);             // checks the options before the first video
        RunSettings levers = new RunSettings();
        sampling.record(levers);
        levers.put("--weights", weights.format() != null ? weights.kind : null).put("--compute", compute.bf16() ? "bf16" : null);
        levers.values().forEach((k, v) -> settings.put(k.substring(2), v));
        System.err.printf(Locale.ROOT, "evaluating %s: %d prompts x %d seeds, %d frames of %dx%d, %d steps%n", dir, list.size(), seeds,
                source.frames(), source.width(), source.height(), steps);
        Evaluator.VideoListener lines = Evaluator.lines(System.err::println);
        return Cancellable.run(30, cancel -> {
            EvalReport report = Evaluator.run(list, seeds, source, settings, (score, n, total, video) -> {
                lines.done(score, n, total, video);
                if (videos != null) {
                    keep(videos.resolve(String.format(Locale.ROOT, "%s-%03d-seed%d.gif", score.prompt().heldOut() ? "held_out" : "seen",
                            list.indexOf(score.prompt()), score.seed())), video);
                }
            }, cancel);
            if (!cacheReports.isEmpty()) {
                String summary = CacheReport.summarize(cacheReports);
                System.err.println(summary);
                Map<String, Object> withCache = new LinkedHashMap<>(report.settings());
                withCache.put("cache_report", summary);
                if (json) {                                                  // per video: in the JSON only
                    withCache.put("cache_computed_steps", cacheReports.stream().map(r -> r.computedSteps().size()).toList());
                }
                report = new EvalReport(withCache, report.videos());
            }
            System.out.print(json ? report.toJson() + System.lineSeparator() : report.toText());
            return 0;
        });
    }

    private static void keep(Path file, Tensor video) {
        try (VideoWriter w = VideoWriters.open(new VideoOutput(file, VideoFormat.GIF), VideoOptions.fps(8))) {
            w.write(video);
            w.finish();
        }
    }
}
