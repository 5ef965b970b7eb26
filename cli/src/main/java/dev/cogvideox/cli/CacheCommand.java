package dev.cogvideox.cli;

import dev.cogvideox.io.AtomicFile;
import dev.cogvideox.io.JsonConfig;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.cache.CacheReport;
import dev.cogvideox.model.cache.CacheSetting;
import dev.cogvideox.model.cache.TeaCacheCalibration;
import dev.cogvideox.model.cache.TeaCacheCoefficients;
import dev.cogvideox.pipeline.CogVideoXPipeline;
import dev.cogvideox.pipeline.GenerationDefaults;
import dev.cogvideox.pipeline.GenerationRequest;
import dev.cogvideox.pipeline.Sampling;
import dev.cogvideox.progress.ProgressBar;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.world.HeldOut;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code cogvideox cache}: the step caches of {@code generate --cache}. */
@Command(name = "cache", description = "The step caches of generate --cache: calibrate TeaCache's rescaling polynomial for a model.",
        subcommands = {CacheCommand.Calibrate.class})
final class CacheCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    @Command(name = "calibrate", description = "Fit TeaCache's polynomial to a model (its authors' procedure): uncached generations, per step "
            + "the relative change of the time embedding and of the transformer blocks' residual (or output), a degree-4 least-squares "
            + "fit from the one to the other. Written as JSON; saved as the model folder's " + TeaCacheCoefficients.FILE
            + " it is what --cache teacache:THRESHOLD takes for that model (else give it as teacache:THRESHOLD:FILE).")
    static final class Calibrate implements Callable<Integer> {
        @Mixin
        ModelSource modelSource;

        @Option(names = "--prompts", description = "One prompt per non-blank line (# starts a comment line). Default: 8 prompts of the "
                + "world the default model was trained on.")
        Path prompts;

        @Option(names = "--seeds", defaultValue = "2", description = "Generations per prompt, seeds 0..N-1 (default: ${DEFAULT-VALUE}).")
        int seeds;

        @Option(names = "--steps", defaultValue = "50", description = "Denoising steps, as generate; calibrate at the step count you "
                + "generate with (default: ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--guidance", defaultValue = "6.0", description = "As generate (default: ${DEFAULT-VALUE}).")
        double guidance;

        @Option(names = "--frames", description = "Video frames, as generate (default: the model's).")
        Integer frames;

        @Option(names = "--height", description = "Pixels, as generate (default: the model's).")
        Integer height;

        @Option(names = "--width", description = "Pixels, as generate (default: the model's).")
        Integer width;

        @Option(names = "--target", defaultValue = "residual", description = "What the polynomial predicts the change of: residual (the "
                + "blocks' output minus input, what a skipped step reuses) or output (the transformer's prediction, what TeaCache's "
                + "published polynomials were fitted to) (default: ${DEFAULT-VALUE}).")
        String target;

        @Option(names = "--retention-steps", defaultValue = "1", description = "The first steps TeaCache always computes with this "
                + "polynomial, which is fitted to the steps after them: 1 is TeaCache's CogVideoX port (only the first step), 5 its "
                + "Wan2.1 port's use_ret_steps; more when the model's first steps change much more than the embedding says "
                + "(the file's step_means show it) (default: ${DEFAULT-VALUE}).")
        int retentionSteps;

        @Option(names = "--out", required = true, description = "The JSON file to write, e.g. MODEL/" + TeaCacheCoefficients.FILE + ".")
        Path out;

        @Override
        public Integer call() throws Exception {
            TeaCacheCalibration.Target fitTo;
            try {
                fitTo = TeaCacheCalibration.Target.parse(target);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--target " + e.getMessage());
            }
            if (seeds < 1) {
                throw new IllegalArgumentException("--seeds must be at least 1, got " + seeds);
            }
            if (steps < TeaCacheCoefficients.DEGREE + 2) {
                throw new IllegalArgumentException("--steps must be at least " + (TeaCacheCoefficients.DEGREE + 2) + " (a degree-"
                        + TeaCacheCoefficients.DEGREE + " fit needs " + (TeaCacheCoefficients.DEGREE + 1) + " step-to-step changes), got " + steps);
            }
            if (retentionSteps < 1 || retentionSteps > steps - TeaCacheCoefficients.DEGREE - 1) {
                throw new IllegalArgumentException("--retention-steps must be between 1 and " + (steps - TeaCacheCoefficients.DEGREE - 1)
                        + " at " + steps + " steps (the fit needs " + (TeaCacheCoefficients.DEGREE + 1) + " steps after them), got " + retentionSteps);
            }
            if (Files.isDirectory(out)) {
                throw new IllegalArgumentException("--out " + out + " is a folder: give a file, e.g. " + out.resolve(TeaCacheCoefficients.FILE));
            }
            List<String> list = prompts != null ? readPrompts(prompts) : defaultPrompts();
            Path dir = modelSource.resolve();
            CogVideoXPipeline pipeline = CogVideoXPipeline.load(dir);
            GenerationDefaults defaults = pipeline.defaults();
            int f = frames != null ? frames : defaults.frames(), h = height != null ? height : defaults.height(),
                    w = width != null ? width : defaults.width();
            TeaCacheCalibration calibration = new TeaCacheCalibration();
            CacheReport[] report = new CacheReport[1];
            Sampling everyStep = Sampling.DEFAULT.withCache(CacheSetting.parse("teacache:0"), r -> report[0] = r);
            int total = list.size() * seeds;
            System.err.printf(Locale.ROOT, "calibrating TeaCache on %s: %d prompts x %d seeds, %d steps, guidance %s, %d frames of %dx%d%n",
                    dir, list.size(), seeds, steps, guidance, f, w, h);
            ProgressBar bar = ProgressBar.forConsole(System.err);
            return Cancellable.run(30, cancel -> {
                bar.onStart("calibrating", total);
                try {
                    int done = 0;
                    for (String prompt : list) {
                        for (int seed = 0; seed < seeds; seed++) {
                            GenerationRequest req = GenerationRequest.builder().prompt(prompt).steps(steps).guidance(guidance)
                                    .frames(f).size(h, w).sampling(everyStep).build();
                            pipeline.denoise(req, NoiseSource.of(new TorchGenerator(seed)),
                                    new RunContext(ProgressListener.insideItemOf(bar), cancel, calibration.taps()));
                            calibration.add(report[0]);
                            bar.onProgress(++done);
                        }
                    }
                } finally {
                    bar.onEnd();
                }
                TeaCacheCalibration.Result result = calibration.fit(fitTo, retentionSteps);
                Map<String, Object> settings = new LinkedHashMap<>();
                settings.put("model", dir.toString());
                settings.put("variant", pipeline.transformerConfig().variant());
                settings.put("scheduler", pipeline.scheduler().config().className());
                settings.put("steps", steps);
                settings.put("guidance", guidance);
                settings.put("frames", f);
                settings.put("size", w + "x" + h);
                settings.put("prompts", list);
                settings.put("seeds", seeds);
                settings.put("made_by", "cogvideox cache calibrate");
                String json = TeaCacheCalibration.toJson(result, settings);
                AtomicFile.write(out, tmp -> Files.writeString(tmp, json));
                System.out.printf(Locale.ROOT, "wrote %s: coefficients %s (highest power first), fitted to the %s change over %d points "
                                + "(%d generations): RMS error %.4g, R^2 %.4f; the embedding's change ranges %.4g-%.4g%n",
                        out, Arrays.toString(result.fit().coefficients()), fitTo.name().toLowerCase(Locale.ROOT), result.points(),
                        calibration.generations(), result.fit().rmsError(), result.fit().rSquared(), result.inputMin(), result.inputMax());
                if (!out.toAbsolutePath().normalize().equals(dir.resolve(TeaCacheCoefficients.FILE).toAbsolutePath().normalize())) {
                    System.out.println("use it with --cache teacache:THRESHOLD:" + out + ", or save it as " + dir.resolve(TeaCacheCoefficients.FILE)
                            + " to make it that model's");
                }
                return 0;
            });
        }

        /** One prompt per non-blank line, {@code #} comment lines skipped; errors name the file. */
        static List<String> readPrompts(Path file) {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("--prompts " + file + ": no such file");
            }
            List<String> out = new ArrayList<>();
            for (String line : JsonConfig.readUtf8(file).split("\\R")) {
                String s = line.strip();
                if (!s.isEmpty() && !s.startsWith("#")) {
                    out.add(s);
                }
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException("--prompts " + file + ": no prompts in it (one prompt per line)");
            }
            return out;
        }

        /**
         * Eight prompts of the world's seen combinations, every 29th (29 is prime to the 224 seen ones): all seven colours,
         * the three shapes, the four directions and the three backgrounds turn up.
         */
        static List<String> defaultPrompts() {
            List<String> out = new ArrayList<>();
            var seen = HeldOut.seen();
            for (int i = 0; i < 8; i++) {
                out.add(seen.get(i * 29 % seen.size()).prompt());
            }
            return out;
        }
    }
}
