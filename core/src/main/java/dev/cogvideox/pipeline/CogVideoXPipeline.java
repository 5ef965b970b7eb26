package dev.cogvideox.pipeline;

import dev.cogvideox.io.ModelFormatException;
import dev.cogvideox.io.ModelIndex;
import dev.cogvideox.model.FrameSink;
import dev.cogvideox.model.ProcessGroup;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.Taps;
import dev.cogvideox.model.cache.CacheSetting;
import dev.cogvideox.model.cache.CachingStep;
import dev.cogvideox.model.sparse.SparseVideoAttention;
import dev.cogvideox.model.schedule.ClassifierFreeGuidance;
import dev.cogvideox.model.text.PromptEncoder;
import dev.cogvideox.model.text.T5EncoderModel;
import dev.cogvideox.model.text.T5Tokenizer;
import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.model.schedule.CogVideoXSchedulerConfig;
import dev.cogvideox.model.transformer.CogVideoXTransformer3DModel;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.model.transformer.Embeddings;
import dev.cogvideox.model.transformer.RotaryPositions;
import dev.cogvideox.model.transformer.StepCache;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoX;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoXConfig;
import dev.cogvideox.model.vae.VaeOptions;
import dev.cogvideox.model.vae.VaeTiling;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.progress.ProgressUnit;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * {@code CogVideoXPipeline}, {@code CogVideoXImageToVideoPipeline} and {@code CogVideoXVideoToVideoPipeline} of
 * diffusers in one orchestrator: the model folder's transformer decides between text and image conditioning (32
 * input channels = image-to-video); a source video in the request makes it video-to-video. Each stage loads its model, uses it and
 * releases it before the next one loads (text encoder, VAE encoder for an image, transformer, VAE decoder), so
 * peak memory is that of the largest stage, not the sum.
 *
 * <p>A run's {@link RunContext} carries its progress ("encoding prompt", "encoding" for an image or a source video,
 * "denoising", "decoding"), its cancellation (checked between steps and inside them) and its taps: the pipeline taps
 * the golden pipeline cases' names ({@code prompt_embeds}, {@code latents_after_step.3}, ...); the models it runs
 * get the run without taps.
 */
public final class CogVideoXPipeline {
    /** The ofs value the 1.5 image-to-video pipeline passes to the transformer. */
    private static final float OFS = 2.0f;

    /** Loads the transformer from its folder when the denoising stage starts (e.g. with a LoRA fused in). */
    @FunctionalInterface
    public interface TransformerLoader {
        CogVideoXTransformer3DModel load(Path transformerDir);
    }

    private final Path modelDir;
    private final CogVideoXTransformerConfig transformerConfig;
    private final AutoencoderKLCogVideoXConfig vaeConfig;
    /** Loads the transformer, or null for this pipeline's own loading (its weight format and kernels). */
    private final TransformerLoader transformerLoader;
    /** The scheduler class to run, or null for the one the model folder names. */
    private final String schedulerClass;
    /** The format the text encoder's linear layers are quantized to on load, or null for their stored dtype. */
    private final QuantFormat weights;
    /** The kernels every model of this pipeline runs on. */
    private final Kernels kernels;

    private CogVideoXPipeline(Path modelDir, CogVideoXTransformerConfig transformerConfig, AutoencoderKLCogVideoXConfig vaeConfig,
                              TransformerLoader transformerLoader, String schedulerClass, QuantFormat weights, Kernels kernels) {
        this.modelDir = modelDir;
        this.transformerConfig = transformerConfig;
        this.vaeConfig = vaeConfig;
        this.transformerLoader = transformerLoader;
        this.schedulerClass = schedulerClass;
        this.weights = weights;
        this.kernels = kernels;
    }

    /** The same pipeline with another way of loading the transformer (a LoRA, for instance). */
    public CogVideoXPipeline withTransformerLoader(TransformerLoader loader) {
        return new CogVideoXPipeline(modelDir, transformerConfig, vaeConfig, loader, schedulerClass, weights, kernels);
    }

    /**
     * The same pipeline with the text encoder's and the transformer's linear layers quantized on load
     * ({@code --weights}); null keeps the stored dtype. A transformer loader set afterwards (a LoRA) must
     * quantize on its own.
     */
    public CogVideoXPipeline withWeights(QuantFormat format) {
        return new CogVideoXPipeline(modelDir, transformerConfig, vaeConfig, null, schedulerClass, format, kernels);
    }

    /**
     * The same pipeline with its models (text encoder, transformer, VAE) running on {@code kernels} instead of
     * {@link Kernels#JAVA}. A transformer loader set with {@link #withTransformerLoader} (a LoRA) chooses its own.
     */
    public CogVideoXPipeline withKernels(Kernels kernels) {
        return new CogVideoXPipeline(modelDir, transformerConfig, vaeConfig, transformerLoader, schedulerClass, weights,
                java.util.Objects.requireNonNull(kernels, "kernels"));
    }

    /** The format the linear layers are quantized to on load ({@link #withWeights}), or null for their stored dtype. */
    public QuantFormat weights() {
        return weights;
    }

    /** The kernels this pipeline's models run on ({@link #withKernels}). */
    public Kernels kernels() {
        return kernels;
    }

    /**
     * The same pipeline with another scheduler class built from the model's scheduler config, as diffusers'
     * {@code pipe.scheduler = CogVideoXDDIMScheduler.from_config(pipe.scheduler.config)}.
     *
     * @param className {@link CogVideoXSchedulerConfig#DDIM} or {@link CogVideoXSchedulerConfig#DPM}
     */
    public CogVideoXPipeline withScheduler(String className) {
        return new CogVideoXPipeline(modelDir, transformerConfig, vaeConfig, transformerLoader, className, weights, kernels);
    }

    private CogVideoXTransformer3DModel loadTransformer() {
        Path dir = modelDir.resolve("transformer");
        return transformerLoader != null ? transformerLoader.load(dir) : CogVideoXTransformer3DModel.load(dir, weights, kernels);
    }

    /** A fresh scheduler of this pipeline (the model's own class unless {@link #withScheduler} chose another). */
    public CogVideoXScheduler scheduler() {
        CogVideoXScheduler own = CogVideoXScheduler.fromPretrained(modelDir);
        return schedulerClass == null || schedulerClass.equals(own.config().className()) ? own
                : CogVideoXScheduler.create(own.config().withClassName(schedulerClass));
    }

    /** The model folder this pipeline runs. */
    public Path modelDir() {
        return modelDir;
    }

    /** A diffusers-layout folder with {@code model_index.json}, {@code transformer/}, {@code vae/}, {@code scheduler/}. */
    public static CogVideoXPipeline load(Path modelDir) {
        ModelIndex index = ModelIndex.read(modelDir);
        for (String needed : new String[]{"transformer", "vae", "scheduler"}) {
            if (!index.components().containsKey(needed) || !Files.isDirectory(modelDir.resolve(needed))) {
                throw new ModelFormatException(modelDir + ": the model has no " + needed + "/ component (model_index.json lists "
                        + index.components().keySet() + ")");
            }
        }
        CogVideoXTransformerConfig cfg = CogVideoXTransformerConfig.read(modelDir.resolve("transformer/config.json"));
        AutoencoderKLCogVideoXConfig vae = AutoencoderKLCogVideoXConfig.read(modelDir.resolve("vae/config.json"));
        return new CogVideoXPipeline(modelDir, cfg, vae, null, null, null, Kernels.JAVA);
    }

    public CogVideoXTransformerConfig transformerConfig() {
        return transformerConfig;
    }

    public AutoencoderKLCogVideoXConfig vaeConfig() {
        return vaeConfig;
    }

    /** Latent frames for {@code numFrames} video frames: {@code (num_frames - 1) // vae_scale_factor_temporal + 1}. */
    public int latentFrames(int numFrames) {
        return (numFrames - 1) / vaeConfig.temporalCompressionRatio() + 1;
    }

    /**
     * The frames a request returns, as diffusers returns them: the latent frames of {@code req} (the 1.5 padding
     * frame dropped again) through the VAE's frame batches ({@link AutoencoderKLCogVideoX#decodedFrames}). That is
     * {@code numFrames} for the 1 + 8k counts the models were trained on (49, 81, ...), more for others (13 gives 16:
     * its two latent batches are both even, and the decoder doubles every frame of an even batch), fewer for counts
     * that are not 1 + 4k (10 gives 9).
     */
    public int outputFrames(GenerationRequest req) {
        return outputFrames(req.video() != null ? req.video().dim(1) : complete(req).numFrames());
    }

    /** {@link #outputFrames(GenerationRequest)} for {@code numFrames} frames asked for. */
    public int outputFrames(int numFrames) {
        return AutoencoderKLCogVideoX.decodedFrames(vaeConfig, latentFrames(numFrames), VaeOptions.defaults(vaeConfig).numLatentFramesBatchSize());
    }

    /**
     * The call parameters of this model when the caller gives none (frames, size, fps, steps, guidance, dynamic
     * guidance with this pipeline's scheduler, prompt length), from its configs.
     */
    public GenerationDefaults defaults() {
        return GenerationDefaults.of(transformerConfig, vaeConfig, scheduler().config().className());
    }

    /**
     * {@code req} with this model's {@link #defaults()} for the call parameters it leaves unset, as the pipeline runs
     * it; {@link #generate} and {@link #denoise} complete their request so. Callers that need the values before the
     * run (a memory plan, the size to fit an image to) complete it themselves.
     */
    public GenerationRequest complete(GenerationRequest req) {
        return req.isComplete() ? req : defaults().complete(req);
    }

    public boolean isImageToVideo() {
        return transformerConfig.inChannels() == 2 * transformerConfig.outChannels();
    }

    /**
     * Runs the pipeline and returns the whole video {@code [B, F, 3, H, W]} in [0, 1] (output_type "pt"); the
     * request's unset call parameters take the model's defaults ({@link #complete}).
     */
    public Tensor generate(GenerationRequest request, NoiseSource noise, RunContext run) {
        GenerationRequest req = complete(request);
        int[] frames = new int[1];
        Tensor[] video = new Tensor[1];
        generate(req, noise, run, (sample, first, batch) -> {
            if (video[0] == null) {
                frames[0] = outputFrames(req);
                video[0] = Tensor.zeros(req.batchSize(), frames[0], batch.dim(1), batch.dim(2), batch.dim(3));
            }
            Layout.paste(video[0].reshape(req.batchSize() * frames[0], batch.dim(1), batch.dim(2), batch.dim(3)), 0,
                    sample * frames[0] + first, batch);
        });
        return video[0];
    }

    /**
     * Runs the pipeline and hands the decoded frames {@code [n, 3, H, W]} in [0, 1] to {@code out} batch by batch as
     * the VAE finishes them: {@link #denoise}, then {@link #decodeLatents}. Over several ranks every rank takes part
     * (a tiled decode splits its tiles over them) and only rank 0's {@code out} gets frames.
     */
    public void generate(GenerationRequest request, NoiseSource noise, RunContext run, FrameSink out) {
        GenerationRequest req = complete(request);
        Tensor latents = denoise(req, noise, run);
        run.cancel().throwIfCancelled();
        decodeLatents(latents, req.tiling(), run, out);
    }

    /**
     * Steps 1-8 of diffusers' {@code __call__} (its numbering): the final latents {@code [B, F, C, h, w]}, scaled
     * as the transformer sees them, for {@link #decodeLatents}. Unlike diffusers' {@code output_type="latent"},
     * which keeps it, the 1.5 models' padding frame is already dropped, so the result decodes as it is. The text
     * encoder and the transformer are released before this returns. The request's unset call parameters take the
     * model's defaults ({@link #complete}). Over several ranks, rank 0 alone runs the text encoder and hands the
     * embeddings to the others once every rank has loaded the transformer ({@link ProcessGroup#awaitLoaded}).
     */
    public Tensor denoise(GenerationRequest request, NoiseSource noise, RunContext run) {
        GenerationRequest req = complete(request);
        ProgressListener progress = run.progress();
        CancellationToken cancel = run.cancel();
        Taps taps = run.taps();
        CogVideoXTransformerConfig cfg = transformerConfig;
        // 1. check inputs
        if (isImageToVideo() != (req.image() != null)) {
            throw new IllegalArgumentException(isImageToVideo()
                    ? "this is an image-to-video model (" + cfg.variant() + "): give an image"
                    : "this is a text-to-video model (" + cfg.variant() + "): it cannot take an image; use an I2V model");
        }
        if (req.video() != null && isImageToVideo()) {
            throw new IllegalArgumentException("video-to-video takes a text-to-video model, not " + cfg.variant()
                    + " (an image-to-video model expects image latents beside the video's)");
        }
        int multiple = vaeConfig.spatialCompressionRatio() * cfg.patchSize();                 // whole latent patches
        if (req.height() <= 0 || req.width() <= 0 || req.height() % multiple != 0 || req.width() % multiple != 0) {
            throw new IllegalArgumentException("height and width must be positive multiples of " + multiple + " (" + vaeConfig.spatialCompressionRatio()
                    + "x VAE, " + cfg.patchSize() + "x patch), got " + req.width() + "x" + req.height());
        }
        if (req.numFrames() < 1) {
            throw new IllegalArgumentException("frames must be at least 1, got " + req.numFrames());
        }
        // video-to-video: the frame count is the source video's (diffusers: num_frames = len(video))
        int numFrames = req.video() != null ? req.video().dim(1) : req.numFrames();
        int latentFrames = latentFrames(numFrames);
        if (req.video() != null && cfg.patchSizeT() != null && latentFrames % cfg.patchSizeT() != 0) {
            throw new IllegalArgumentException("video-to-video on " + cfg.variant() + ": the source video's " + numFrames + " frames give "
                    + latentFrames + " latent frames, which the model's patch_size_t " + cfg.patchSizeT() + " does not divide "
                    + "(diffusers has no frame padding for video-to-video); give a video of 1 + 4k frames with k odd, e.g. "
                    + (1 + 4 * latentFrames) + " frames");
        }
        int batch = req.batchSize();
        // 2. guidance runs at all only when the ORIGINAL scale is > 1 (semantics.md: dynamic CFG)
        boolean cfgOn = req.guidanceScale() > 1.0;
        // parallel inference: CFG parallel computes one half of each pass here ([negative] on guidance rank 0, [positive]
        // on rank 1), sequence parallel one slice of the tokens; every rank takes the same scheduler steps
        ProcessGroup guidance = run.ranks().guidance();
        if (guidance.size() > 1 && !cfgOn) {
            throw new IllegalArgumentException("CFG parallel runs the guidance's unconditional and conditional passes on 2 ranks, "
                    + "but guidance is off (guidance scale " + req.guidanceScale() + " <= 1): give a guidance scale above 1, or drop cfg from --parallel");
        }
        if (run.ranks().world().size() > 1 && (req.sampling().cache().kind() != CacheSetting.Kind.NONE || req.sampling().attention().sparse())) {
            throw new IllegalArgumentException("parallel inference runs every step and every attention densely: drop the step cache "
                    + "and sparse attention options, or run in one process");
        }
        if (cfg.numAttentionHeads() % run.ranks().sequence().size() != 0) {
            throw new IllegalArgumentException("sequence parallel over " + run.ranks().sequence().size() + " ranks splits the attention heads, "
                    + "but " + cfg.variant() + " has " + cfg.numAttentionHeads() + " heads: run a number of sequence ranks that divides "
                    + cfg.numAttentionHeads());
        }

        // 3. prompt embeddings: the text encoder is loaded, used and released here; over several ranks rank 0 alone
        // runs it (T5-XXL has 4.7B parameters) and hands the embeddings to the others once the transformer is loaded
        ProcessGroup world = run.ranks().world();
        boolean fromRankZero = req.promptEmbeds() == null && world.size() > 1;
        Tensor passEmbeds = null;                                                // [negative; positive] with guidance
        if (!fromRankZero || world.rank() == 0) {
            Tensor[] embeds = promptEmbeddings(req, cfgOn, run);
            passEmbeds = cfgOn ? Layout.cat(0, embeds[1], embeds[0]) : embeds[0];
        }
        cancel.throwIfCancelled();

        // 4. timesteps; video-to-video starts part-way, at strength x N steps from the end (get_timesteps)
        CogVideoXScheduler scheduler = scheduler();
        long[] custom = req.sampling().timesteps();
        if (custom != null) {
            scheduler.setTimesteps(custom);                      // a few-step model's list (retrieve_timesteps(timesteps=...))
        } else {
            scheduler.setTimesteps(req.numInferenceSteps());
        }
        long[] timesteps = scheduler.timesteps();
        int steps = scheduler.numInferenceSteps();
        if (req.video() != null) {
            int init = Math.min((int) (steps * req.strength()), steps);
            int start = Math.max(steps - init, 0);
            timesteps = Arrays.copyOfRange(timesteps, start, timesteps.length);
            steps -= start;                                       // the dynamic CFG then uses the reduced count
        }

        // 5. latents; the 1.5 models pad an odd latent frame count with one frame (dropped from the FRONT later)
        int padding = 0;
        if (req.video() == null && cfg.patchSizeT() != null && latentFrames % cfg.patchSizeT() != 0) {
            padding = cfg.patchSizeT() - latentFrames % cfg.patchSizeT();
        }
        int spatial = vaeConfig.spatialCompressionRatio();
        int h = req.height() / spatial, w = req.width() / spatial, c = cfg.outChannels();
        int[] shape = {batch, latentFrames + padding, c, h, w};
        // 6. image-to-video: the image latents are drawn first (the VAE posterior sample), as in the reference
        Tensor imageLatents = isImageToVideo() ? imageLatents(req, shape, noise, run) : null;
        Tensor latents = req.latents() != null ? req.latents().copy().requireShape("latents", shape)
                : req.video() != null ? noisedVideoLatents(req, shape, timesteps[0], scheduler, noise, run)
                : noise.randn(shape);

        // 7. RoPE table for the video tokens
        Embeddings.RotaryTable rope = cfg.useRotaryPositionalEmbeddings() ? RotaryPositions.forLatents(cfg, h, w, shape[1]) : null;
        if (rope != null) {
            taps.tap("rope_cos", rope.cos());
            taps.tap("rope_sin", rope.sin());
        }

        // 8. denoising loop
        progress.onStart("denoising", timesteps.length, ProgressUnit.ITEMS);
        CachingStep caching = req.sampling().cache().start(cfg, modelDir);
        SparseVideoAttention sparse = req.sampling().attention().start(shape[1] / (cfg.patchSizeT() == null ? 1 : cfg.patchSizeT()),
                (h / cfg.patchSize()) * (w / cfg.patchSize()));
        StepCache cache = StepCache.both(caching != null ? caching : StepCache.NONE, sparse != null ? sparse : StepCache.NONE);
        try (CogVideoXTransformer3DModel transformer = loadTransformer()) {
            world.awaitLoaded();                                    // the exchanges from here on wait for computation alone
            if (fromRankZero) {
                passEmbeds = fromRankZero(world, passEmbeds);
            }
            Tensor promptEmbeds = mine(guidance, passEmbeds);
            for (int i = 0; i < timesteps.length; i++) {
                cancel.throwIfCancelled();
                long t = timesteps[i];
                cache.beginStep(i, t, timesteps.length);
                Tensor input = mine(guidance, cfgOn ? Layout.cat(0, latents, latents) : latents);  // [2B, F, C, h, w]
                if (imageLatents != null) {
                    Tensor image = mine(guidance, cfgOn ? Layout.cat(0, imageLatents, imageLatents) : imageLatents);
                    input = Layout.cat(2, input, image);                                           // [2B, F, 2C, h, w]
                }
                float[] tIn = new float[input.dim(0)];
                Arrays.fill(tIn, t);
                taps.tap("transformer_hidden_states_in." + i, input);
                taps.tap("transformer_timestep_in." + i, Tensor.of(tIn.clone(), tIn.length));
                float[] ofs = cfg.ofsEmbedDim() != null ? new float[]{OFS} : null;
                Tensor noisePred = all(guidance, transformer.forward(input, promptEmbeds, tIn, rope, ofs, run.withTaps(Taps.NONE), cache)); // [2B, F, C, h, w]
                taps.tap("noise_pred_raw." + i, noisePred);
                if (cfgOn) {
                    double scale = req.useDynamicCfg()
                            ? ClassifierFreeGuidance.dynamicScale(req.guidanceScale(), t, steps)
                            : req.guidanceScale();
                    noisePred = ClassifierFreeGuidance.guide(Layout.narrow(noisePred, 0, 0, batch),
                            Layout.narrow(noisePred, 0, batch, batch), scale);
                }
                latents = scheduler.step(noisePred, t, latents, noise).prevSample();
                FiniteChecks.afterStep(latents, i, timesteps.length, t);
                taps.tap("latents_after_step." + i, latents);
                progress.onProgress(i + 1);
            }
        } finally {
            progress.onEnd();                                       // complete or abandoned
        }
        if (caching != null) {
            req.sampling().cacheReport().accept(caching.report());
        }
        if (sparse != null) {
            req.sampling().attentionReport().accept(sparse.describe());
        }
        taps.tap("latents", latents);
        // the 1.5 padding frame(s) go from the front (semantics.md)
        return padding == 0 ? latents : Layout.narrow(latents, 1, padding, latents.dim(1) - padding);
    }

    /** This guidance rank's share of a pass's batch {@code [2B, ...]}: all of it on one rank, its half on each of two. */
    private static Tensor mine(ProcessGroup guidance, Tensor batch) {
        int rows = batch.dim(0) / guidance.size();
        return guidance.size() == 1 ? batch : Layout.narrow(batch, 0, guidance.rank() * rows, rows);
    }

    /**
     * Rank 0's tensor on every rank of {@code world} (the others pass null): its shape, then its floats, which move
     * unchanged, so every rank computes with what one process would.
     */
    private static Tensor fromRankZero(ProcessGroup world, Tensor mine) {
        int[] fromZero = new int[world.size()];
        fromZero[0] = 3;
        float[] shape = new float[3];
        world.allGather(world.rank() == 0 ? new float[]{mine.dim(0), mine.dim(1), mine.dim(2)} : new float[0], shape, fromZero);
        int[] dims = {(int) shape[0], (int) shape[1], (int) shape[2]};
        fromZero[0] = Math.toIntExact((long) dims[0] * dims[1] * dims[2]);
        float[] all = new float[fromZero[0]];
        world.allGather(world.rank() == 0 ? mine.data() : new float[0], all, fromZero);
        return world.rank() == 0 ? mine : Tensor.of(all, dims);
    }

    /** The whole batch of a pass from every guidance rank's share (all-gather of the noise predictions; batch is outermost). */
    private static Tensor all(ProcessGroup guidance, Tensor mine) {
        if (guidance.size() == 1) {
            return mine;
        }
        int[] shape = mine.shape(), counts = new int[guidance.size()];
        Arrays.fill(counts, mine.numel());
        float[] all = new float[mine.numel() * guidance.size()];
        guidance.allGather(mine.data(), all, counts);
        shape[0] *= guidance.size();
        return Tensor.of(all, shape);
    }

    /** {@code [positive, negative]} embeddings {@code [B, T, D]} (negative null when guidance is off). */
    private Tensor[] promptEmbeddings(GenerationRequest req, boolean cfgOn, RunContext run) {
        if (req.promptEmbeds() != null) {
            if (cfgOn && req.negativePromptEmbeds() == null) {
                throw new IllegalArgumentException("guidance needs negative prompt embeddings along with the prompt embeddings");
            }
            return new Tensor[]{req.promptEmbeds(), req.negativePromptEmbeds()};
        }
        // encode_prompt: pad/truncate to max_sequence_length, no attention mask, negative None -> "" (semantics.md)
        T5Tokenizer tokenizer = T5Tokenizer.fromPretrained(modelDir.resolve("tokenizer"));
        try (T5EncoderModel encoder = T5EncoderModel.fromPretrained(modelDir.resolve("text_encoder"), weights, kernels)) {
            PromptEncoder.PromptEmbeds e = new PromptEncoder(tokenizer, encoder, PromptEncoder.LOG_WARNING)
                    .encodePrompt(req.prompts(), req.negativePrompts(), cfgOn, 1, req.maxSequenceLength(), run.withTaps(Taps.NONE));
            tapText(run.taps(), "", e.prompt());
            if (cfgOn) {
                tapText(run.taps(), "negative_", e.negative());
            }
            return new Tensor[]{e.prompt().embeds(), cfgOn ? e.negative().embeds() : null};
        }
    }

    /** The ids the text encoder saw ({@code [B, L]}, as floats) and the embeddings it returned. */
    private static void tapText(Taps taps, String prefix, PromptEncoder.TextEmbeds text) {
        List<T5Tokenizer.Encoding> inputs = text.textInputs();
        int length = inputs.getFirst().inputIds().length;
        float[] ids = new float[inputs.size() * length];
        for (int i = 0; i < inputs.size(); i++) {
            int[] row = inputs.get(i).inputIds();
            for (int j = 0; j < length; j++) {
                ids[i * length + j] = row[j];
            }
        }
        taps.tap(prefix + "text_input_ids", Tensor.of(ids, inputs.size(), length));
        taps.tap(prefix + "prompt_embeds", text.embeds());
    }

    /**
     * The image-to-video conditioning latents {@code [B, F, C, h, w]}: the image in [-1, 1] through the VAE encoder
     * (one frame), a posterior sample, scaled (divided for the 1.5 VAE), zero frames after it (semantics.md).
     */
    private Tensor imageLatents(GenerationRequest req, int[] shape, NoiseSource noise, RunContext run) {
        Tensor image = req.image();
        if (image.rank() != 4 || image.dim(0) != shape[0] || image.dim(1) != 3 || image.dim(2) != req.height() || image.dim(3) != req.width()) {
            throw new IllegalArgumentException("image must be [" + shape[0] + ", 3, " + req.height() + ", " + req.width() + "] in [0, 1], got " + image);
        }
        Tensor pixels = Ops.scale(image, 2f);                                                   // [0, 1] -> [-1, 1]
        Ops.addScalarInPlace(pixels, -1f);
        Tensor z;
        try (AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.load(modelDir.resolve("vae"), kernels)) {
            VaeOptions options = req.tiling().applyTo(vae.defaultOptions());
            var posterior = vae.encode(pixels.reshape(shape[0], 3, 1, req.height(), req.width()), options, run.withTaps(Taps.NONE)); // [B, C, 1, h, w]
            z = vae.scaleImageLatents(posterior.sample(noise.randn(posterior.mean().shape())));
        }
        Tensor first = Layout.permute(z, 0, 2, 1, 3, 4);                                        // [B, 1, C, h, w]
        Tensor padded = Tensor.zeros(shape);
        Layout.paste(padded, 1, 0, first);
        run.taps().tap("image_latents", padded);
        return padded;
    }

    /**
     * Video-to-video starting latents: the source video in [-1, 1] through the VAE encoder, a posterior sample times
     * the scaling factor, then {@code add_noise} at the first timestep (the reference's draw order: posterior, noise).
     */
    private Tensor noisedVideoLatents(GenerationRequest req, int[] shape, long t0, CogVideoXScheduler scheduler, NoiseSource noise,
                                      RunContext run) {
        Tensor video = req.video();
        if (video.rank() != 5 || video.dim(0) != shape[0] || video.dim(2) != 3 || video.dim(3) != req.height() || video.dim(4) != req.width()) {
            throw new IllegalArgumentException("video must be [" + shape[0] + ", F, 3, " + req.height() + ", " + req.width()
                    + "] in [0, 1], got " + video);
        }
        Tensor pixels = Layout.permute(Ops.scale(video, 2f), 0, 2, 1, 3, 4);                    // [B, 3, F, H, W]
        Ops.addScalarInPlace(pixels, -1f);                                                      // [0, 1] -> [-1, 1]
        Tensor z;
        try (AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.load(modelDir.resolve("vae"), kernels)) {
            var posterior = vae.encode(pixels, req.tiling().applyTo(vae.defaultOptions()), run.withTaps(Taps.NONE)); // [B, C, F', h, w]
            z = vae.scaleLatents(posterior.sample(noise.randn(posterior.mean().shape())));
        }
        Tensor init = Layout.permute(z, 0, 2, 1, 3, 4).requireShape("video latents", shape);     // [B, F', C, h, w]
        long[] t = new long[shape[0]];
        Arrays.fill(t, t0);
        return scheduler.addNoise(init, noise.randn(shape), t);
    }

    /**
     * Step 9, {@code decode_latents} + {@code postprocess_video}: latents {@code [B, F, C, h, w]} (from
     * {@link #denoise}) through the VAE, then {@code (x / 2 + 0.5).clamp(0, 1)} per frame, handed to {@code out} as
     * the VAE finishes them.
     */
    public void decodeLatents(Tensor latents, VaeTiling tiling, RunContext run, FrameSink out) {
        if (latents.rank() != 5 || latents.dim(2) != transformerConfig.outChannels()) {
            throw new IllegalArgumentException("latents " + Arrays.toString(latents.shape()) + ": this model (" + transformerConfig.variant()
                    + ") decodes [B, F, " + transformerConfig.outChannels() + ", h, w]");
        }
        FiniteChecks.beforeDecode(latents);
        Tensor z = Layout.permute(latents, 0, 2, 1, 3, 4);                                     // [B, C, F, h, w]
        try (AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.load(modelDir.resolve("vae"), kernels)) {
            VaeOptions options = tiling.applyTo(vae.defaultOptions());
            Tensor input = vae.unscaleLatents(z);                                               // 1 / scaling_factor
            run.taps().tap("vae_decode_input", input);
            vae.decode(input, options, run.withTaps(Taps.NONE), (sample, first, frames) -> {
                run.cancel().throwIfCancelled();
                FiniteChecks.decodedFrames(frames, sample, first);
                Tensor f = Layout.permute(frames, 0, 2, 1, 3, 4);                              // [1, n, 3, H, W]
                Ops.postprocessInPlace(f);
                out.accept(sample, first, f.reshape(f.dim(1), f.dim(2), f.dim(3), f.dim(4)));
            });
        }
    }
}
