package dev.cogvideox.bench.sampling;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.cache.CacheReport;
import dev.cogvideox.model.cache.CacheSetting;
import dev.cogvideox.model.sparse.SparseSetting;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.pipeline.CogVideoXPipeline;
import dev.cogvideox.pipeline.GenerationRequest;
import dev.cogvideox.pipeline.Sampling;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Each lever against the baseline (the model's scheduler, 50 steps, guidance 6, no cache) in one run: the settings
 * are run in turn, round after round (alternated, so that a change in the machine's speed hits all of them alike),
 * from the same seed and prompt embeddings. Per setting: transformer passes and FLOPs (counted from shapes, see
 * {@link TransformerFlops}, at this run's size and at the full-size 2b's 49 x 480 x 720 with the same pattern of
 * computed steps), the median denoising and whole-generation (denoise + VAE decode) times and their speed-up over
 * the baseline, and the quality of the decoded frames against the baseline's: PSNR, SSIM, temporal flicker.
 *
 * <pre>
 * java ... FewerPassesBench MODEL_DIR ROUNDS HEIGHT WIDTH FRAMES [SETTING ...]
 * SETTING: base | steps:N[:cfgG] | cache:SPEC | attention:SPEC | weights:KIND (generate --weights) | tdm (999,856,665,399,
 * guidance 1); default: all of the table's
 * </pre>
 * With {@code -Dbench.prompt="a red circle moving left on a black background"} every setting denoises from that prompt
 * encoded by the model's text encoder (a trained model's quality is only meaningful on its own prompts), otherwise from
 * seeded random embeddings.
 */
public final class FewerPassesBench {
    private record Setting(String name, long[] timesteps, int steps, double guidance, CacheSetting cache, SparseSetting attention,
                           QuantFormat weights) {
        Setting(String name, long[] timesteps, int steps, double guidance, CacheSetting cache) {
            this(name, timesteps, steps, guidance, cache, SparseSetting.DENSE, null);
        }

        Setting(String name, long[] timesteps, int steps, double guidance, CacheSetting cache, SparseSetting attention) {
            this(name, timesteps, steps, guidance, cache, attention, null);
        }
    }

    private record Run(Tensor video, double denoiseSeconds, double totalSeconds, CacheReport report, int passes) {
    }

    public static void main(String[] args) {
        if (args.length < 5) {
            System.err.println("usage: FewerPassesBench MODEL_DIR ROUNDS HEIGHT WIDTH FRAMES [SETTING ...]");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        int rounds = Integer.parseInt(args[1]), height = Integer.parseInt(args[2]), width = Integer.parseInt(args[3]);
        int frames = Integer.parseInt(args[4]);
        List<String> names = args.length > 5 ? List.of(Arrays.copyOfRange(args, 5, args.length))
                : List.of("base", "cache:teacache:0.1", "cache:teacache:0.2", "cache:teacache:0.3", "cache:pab", "cache:pab:3:100-900",
                "steps:25", "tdm", "steps:4:cfg1");
        List<Setting> settings = new ArrayList<>();
        settings.add(parse("base"));
        for (String n : names) {
            if (!n.equals("base")) {
                settings.add(parse(n));
            }
        }
        CogVideoXPipeline pipeline = CogVideoXPipeline.load(model);
        CogVideoXTransformerConfig cfg = pipeline.transformerConfig();
        TorchGenerator g = new TorchGenerator(2026);
        Tensor prompt = g.randn(1, cfg.maxTextSeqLength(), cfg.textEmbedDim());
        Tensor negative = g.randn(1, cfg.maxTextSeqLength(), cfg.textEmbedDim());
        System.out.printf(Locale.ROOT, "model %s (%s, %d blocks, inner dim %d), %dx%d, %d frames, %d rounds alternated%n", model, cfg.variant(),
                cfg.numLayers(), cfg.innerDim(), width, height, frames, rounds);

        Map<String, List<Run>> runs = new LinkedHashMap<>();
        run(pipeline, new Setting("warm-up", null, 2, 6, CacheSetting.NONE), prompt, negative, height, width, frames);  // not counted
        for (int r = 0; r < rounds; r++) {
            for (Setting s : settings) {
                runs.computeIfAbsent(s.name(), k -> new ArrayList<>()).add(run(pipeline, s, prompt, negative, height, width, frames));
            }
        }
        int latentFrames = pipeline.latentFrames(frames);
        int lf = cfg.patchSizeT() != null && latentFrames % 2 != 0 ? latentFrames + 1 : latentFrames;
        TransformerFlops here = TransformerFlops.of(cfg, lf, height / 8, width / 8);
        TransformerFlops full2b = TransformerFlops.of(fullSize2b(), 13, 60, 90);
        Run base = runs.get("base").getFirst();
        double baseDenoise = median(runs.get("base"), true), baseTotal = median(runs.get("base"), false);
        double baseFull = flops(full2b, settings.getFirst(), base);
        int perFrame = base.video().numel() / base.video().dim(1);
        System.out.println();
        System.out.println("| setting | passes | transformer FLOPs (this size) | full-size 2b FLOPs | FLOP ratio | denoise s | speed-up | whole s | speed-up | PSNR dB | SSIM | flicker (base " 
                + fmt(FrameQuality.flicker(base.video().data(), base.video().dim(1), perFrame), 2) + ") |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (Setting s : settings) {
            List<Run> rs = runs.get(s.name());
            Run one = rs.getFirst();
            double f = flops(here, s, one), ff = flops(full2b, s, one);
            double d = median(rs, true), t = median(rs, false);
            float[] v = one.video().data(), ref = base.video().data();
            int h = one.video().dim(3), w = one.video().dim(4);
            System.out.printf(Locale.ROOT, "| %s | %d | %.3g | %.3g | %.2fx fewer | %.2f | %.2fx | %.2f | %.2fx | %s | %.4f | %.2f |%n", s.name(), one.passes(),
                    f, ff, baseFull / ff, d, baseDenoise / d, t, baseTotal / t,
                    s == settings.getFirst() ? "(ref)" : fmt(FrameQuality.psnr(v, ref), 2),
                    FrameQuality.ssim(v, ref, one.video().numel() / (h * w), h, w), FrameQuality.flicker(v, one.video().dim(1), perFrame));
        }
        System.out.println();
        for (Setting s : settings) {
            CacheReport r = runs.get(s.name()).getFirst().report();
            if (r != null) {
                System.out.println(s.name() + ": " + r.describe());
            }
        }
    }

    private static String fmt(double v, int digits) {
        return Double.isInfinite(v) ? "inf" : String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    private static Setting parse(String name) {
        if (name.equals("base")) {
            return new Setting(name, null, 50, 6, CacheSetting.NONE);
        }
        if (name.equals("tdm")) {
            return new Setting(name, new long[]{999, 856, 665, 399}, 4, 1, CacheSetting.NONE);
        }
        if (name.startsWith("cache:")) {
            return new Setting(name, null, 50, 6, CacheSetting.parse(name.substring(6)));
        }
        if (name.startsWith("attention:")) {
            return new Setting(name, null, 50, 6, CacheSetting.NONE, SparseSetting.parse(name.substring(10)));
        }
        if (name.startsWith("weights:")) {
            return new Setting(name, null, 50, 6, CacheSetting.NONE, SparseSetting.DENSE, QuantFormat.parse("weights", name.substring(8)));
        }
        if (name.startsWith("steps:")) {
            String[] p = name.split(":");
            double guidance = p.length > 2 && p[2].startsWith("cfg") ? Double.parseDouble(p[2].substring(3)) : 6;
            return new Setting(name, null, Integer.parseInt(p[1]), guidance, CacheSetting.NONE);
        }
        throw new IllegalArgumentException("unknown setting " + name + ": base, steps:N[:cfgG], cache:SPEC, attention:SPEC, weights:KIND or tdm");
    }

    private static Run run(CogVideoXPipeline pipeline, Setting s, Tensor prompt, Tensor negative, int height, int width, int frames) {
        CacheReport[] report = new CacheReport[1];
        Sampling sampling = new Sampling(s.timesteps(), s.cache(), r -> report[0] = r, s.attention(), System.out::println);
        String text = System.getProperty("bench.prompt");
        if (s.weights() != null) {
            pipeline = pipeline.withWeights(s.weights());
        }
        GenerationRequest.Builder b = text != null ? GenerationRequest.builder().prompt(text) : GenerationRequest.builder().promptEmbeds(prompt, negative);
        GenerationRequest req = b.frames(frames).size(height, width)
                .steps(s.steps()).guidance(s.guidance()).dynamicCfg(false).sampling(sampling).build();
        int[] passes = {0};
        long t0 = System.nanoTime();
        Tensor latents = pipeline.denoise(req, NoiseSource.of(new TorchGenerator(42)), RunContext.NONE.withTaps(
                (name, t) -> {
                    if (name.startsWith("transformer_timestep_in.")) {
                        passes[0]++;
                    }
                }));
        long t1 = System.nanoTime();
        Tensor[] video = new Tensor[1];
        int out = pipeline.outputFrames(req);
        pipeline.decodeLatents(latents, req.tiling(), RunContext.NONE, (sample, first, batch) -> {
            if (video[0] == null) {
                video[0] = Tensor.zeros(1, out, batch.dim(1), batch.dim(2), batch.dim(3));
            }
            int per = batch.numel() / batch.dim(0);
            System.arraycopy(batch.data(), 0, video[0].data(), first * per, batch.numel());
        });
        long t2 = System.nanoTime();
        return new Run(video[0], (t1 - t0) / 1e9, (t2 - t0) / 1e9, report[0], passes[0]);
    }

    private static double flops(TransformerFlops f, Setting s, Run r) {
        return f.generation(r.passes(), s.guidance() > 1 ? 2 : 1, r.report());
    }

    private static double median(List<Run> rs, boolean denoise) {
        double[] v = rs.stream().mapToDouble(r -> denoise ? r.denoiseSeconds() : r.totalSeconds()).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** The published CogVideoX-2b transformer's shapes (../shared/docs/published-models.md). */
    private static CogVideoXTransformerConfig fullSize2b() {
        return new CogVideoXTransformerConfig(30, 64, 16, 16, true, 0, 512, null, 4096, 30, true, 90, 60, 49, 2, null, 4, 226,
                "gelu-approximate", "silu", true, 1e-5, 1.875, 1.0, false, false, true);
    }
}
