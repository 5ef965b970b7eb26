package dev.cogvideox.cli;

import dev.cogvideox.data.caption.ChatClient;
import dev.cogvideox.data.caption.ChatException;
import dev.cogvideox.data.caption.Endpoint;
import dev.cogvideox.data.caption.PromptEnhancer;
import dev.cogvideox.distributed.Communicator;
import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.video.MediaReader;
import dev.cogvideox.io.video.VideoOptions;
import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.model.Ranks;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.schedule.CogVideoXSchedulerConfig;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.pipeline.CogVideoXPipeline;
import dev.cogvideox.pipeline.GenerationDefaults;
import dev.cogvideox.pipeline.GenerationRequest;
import dev.cogvideox.pipeline.ImagePreprocess;
import dev.cogvideox.pipeline.LatentsFile;
import dev.cogvideox.pipeline.MemoryPlan;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressBar;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.synth.DefaultModel;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.lora.LoraFile;
import dev.cogvideox.train.lora.LoraFusion;
import dev.cogvideox.world.prompt.PromptParser;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;

/** {@code cogvideox generate}: from a prompt (and an image) to a video file. */
@Command(name = "generate", description = "Generate a video from a prompt (text-to-video) or a prompt and an image (image-to-video).")
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelSource modelSource;

    @Spec
    CommandSpec spec;

    @Option(names = "--from", description = "Rerun with the settings stored in an earlier output (an MP4, GIF, PNG frames folder or latents "
            + "file of generate): prompt, seed, model, size, steps, ...; options given here override them (default: none).")
    Path from;

    @Option(names = "--prompt", description = "What the video shows (the T5 encoder reads up to the model's "
            + "max_text_seq_length tokens, 226; a longer prompt is cut with a warning). Required, but for --from (default: none).")
    String prompt;

    @Option(names = "--negative-prompt", description = "What guidance steers away from (default: \"\", as diffusers).")
    String negativePrompt;

    @Option(names = "--image", description = "Conditioning image for image-to-video models, which need one (PNG/JPEG) (default: none).")
    Path image;

    @Option(names = "--image-fit", defaultValue = "stretch", description = "How an image (or --video's frames) of another aspect ratio "
            + "fits the video: stretch "
            + "(as diffusers), crop (cover the frame, cut the rest) or pad (the whole image, black bars) (default: ${DEFAULT-VALUE}).")
    String imageFit;

    @Option(names = "--video", description = "Source video for video-to-video (MP4, GIF or a folder of PNG frames); its first --frames frames are used (default: none, text-to-video).")
    Path video;

    @Option(names = "--strength", description = "Video-to-video: how much of the schedule re-noises the source, in (0, 1] (default: 0.8).")
    Double strength;

    @Option(names = "--frames", description = "Frames: 8N+1 for 1.0 models, 16N+1 for 1.5 models (default: the model's sample_frames, "
            + "49 for 1.0 and 81 for 1.5 as published).")
    Integer frames;

    @Option(names = "--height", description = "Pixels, a multiple of 16 (default: the model's sample_height x 8, 480 for 1.0; 768 for 1.5, "
            + "smaller if its config bounds the size).")
    Integer height;

    @Option(names = "--width", description = "Pixels, a multiple of 16 (default: the model's sample_width x 8, 720 for 1.0; 1360 for 1.5, "
            + "smaller if its config bounds the size).")
    Integer width;

    @Option(names = "--steps", description = "Denoising steps (default: 50, as diffusers).")
    Integer steps;

    @Option(names = "--guidance", description = "Classifier-free guidance scale; 1 or less turns guidance off (default: 6.0, as diffusers).")
    Double guidance;

    @Option(names = "--dynamic-cfg", negatable = true, description = "Dynamic guidance scale (default: on with the DPM scheduler, as the official demo).")
    Boolean dynamicCfg;

    @Option(names = "--seed", split = ",", converter = Seed.class, description = "torch.manual_seed-compatible seed, any 64-bit value "
            + "from -2^63 to 2^64-1; several (1,2,3) make one run each, their outputs named with the seed (default: 42).")
    List<Long> seeds;

    @Option(names = "--num-videos", description = "Videos per prompt in one batch (diffusers' num_videos_per_prompt), outputs named "
            + "NAME-SEED-K (default: 1).")
    Integer numVideos;

    @Option(names = "--enhance-prompt", paramLabel = "URL", description = "Rewrite --prompt into the long, detailed kind CogVideoX was "
            + "trained on with a language model at URL (an OpenAI-compatible chat server, e.g. http://host:8000/v1; $OPENAI_API_KEY is "
            + "sent when set), as the official demo does; the rewritten prompt is printed, used and recorded (default: none).")
    String enhancePrompt;

    @Option(names = "--enhance-model", defaultValue = "default", description = "The model name sent to --enhance-prompt (default: ${DEFAULT-VALUE}).")
    String enhanceModel;

    @Option(names = "--scheduler", description = "ddim or dpm: the sampler, built from the model's scheduler config as diffusers' "
            + "from_config (default: the model's own; 2b DDIM, 5b and 1.5 DPM).")
    String scheduler;

    @Option(names = "--noise", description = "Replay the random draws from a safetensors file (tensors noise.0, noise.1, ... or in.noise.*, "
            + "in call order) instead of drawing them from --seed (default: none).")
    Path noiseFile;

    @Option(names = "--fps", description = "Frames per second of the video file (default: 8 for 1.0 models, 16 for 1.5, as the official demo).")
    Double fps;

    @Mixin
    VaeTilingOptions vaeTiling;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    WeightsOption weights;

    @Mixin
    ComputeOption compute;

    @Mixin
    ParallelOptions parallel;

    @Option(names = "--dtype", defaultValue = "bf16", description = "Weights precision the model was meant for: bf16 (default), fp16 or fp32; "
            + "the arithmetic is fp32 unless --compute bf16. fp16 is refused for the bf16-trained 5b and 1.5 models.")
    String dtype;

    @Option(names = "--lora", description = "A LoRA file in the diffusers/PEFT format (pytorch_lora_weights.safetensors, e.g. from train), "
            + "fused into the transformer (default: none).")
    Path lora;

    @Option(names = "--lora-scale", defaultValue = "1.0", description = "LoRA strength (diffusers' attention_kwargs scale; default ${DEFAULT-VALUE}).")
    double loraScale;

    /** How a model folder becomes a pipeline: loaded for this run, or kept per JVM by a batch ({@code BatchRunner}). */
    Function<Path, CogVideoXPipeline> pipelines = CogVideoXPipeline::load;

    /** Where the progress goes (null: a bar on the console) and what cancels the run (null: Ctrl-C); a batch sets both. */
    ProgressListener progress;
    CancellationToken cancellation;

    /** Where the messages go (null: the console); a batch's executors have none. */
    PrintStream messages;

    /** The settings of the last output written, as stored in it (JSON), for a batch's manifest. */
    String ranWith;

    @Option(names = {"-o", "--output"}, defaultValue = "output.mp4", description = "out.mp4, out.gif, a folder/ for PNG frames, or latents.safetensors: the denoised latents, "
            + "no decode (turn them into a video later with `decode`) (default: ${DEFAULT-VALUE}).")
    String output;

    /**
     * A seed as torch takes it: any integer from -2^63 to 2^64-1, kept as its 64 bits (torch's manual_seed reinterprets
     * a negative seed's bits the same way).
     */
    static final class Seed implements CommandLine.ITypeConverter<Long> {
        private static final BigInteger MIN = BigInteger.valueOf(Long.MIN_VALUE);
        private static final BigInteger MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

        @Override
        public Long convert(String value) {
            BigInteger v;
            try {
                v = new BigInteger(value.strip());
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not an integer");
            }
            if (v.compareTo(MIN) < 0 || v.compareTo(MAX) > 0) {
                throw new CommandLine.TypeConversionException(value + " is outside -2^63 to 2^64-1, the seeds torch takes");
            }
            return v.longValue();
        }
    }

    /** The options' values, checked before any work; the message names the option. */
    void checkOptions() {
        if (guidance != null && (!Double.isFinite(guidance) || guidance < 0)) {
            throw new IllegalArgumentException("--guidance must be a finite number >= 0 (up to 1 turns guidance off; 6 is the default), got " + guidance);
        }
        if (strength != null && video == null) {
            throw new IllegalArgumentException("--strength is for video-to-video: give --video, or drop --strength");
        }
        if (strength != null && !(strength > 0 && strength <= 1)) {
            throw new IllegalArgumentException("--strength must be in (0, 1], got " + strength);
        }
        if (steps != null && steps < 1) {
            throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        }
        if (fps != null && !(fps > 0 && fps <= 1000)) {
            throw new IllegalArgumentException("--fps must be above 0 and at most 1000, got " + fps);
        }
        if (!Double.isFinite(loraScale)) {
            throw new IllegalArgumentException("--lora-scale must be a finite number, got " + loraScale);
        }
        if (lora == null && loraScale != 1.0) {
            throw new IllegalArgumentException("--lora-scale is for --lora: give --lora, or drop --lora-scale");
        }
    }

    /**
     * A note when {@code dir} is the trained default model (the procedural world's, docs/default-model.md) and the
     * prompt is not one of that world's: the model still runs, but only knows its world's words, so the video will not
     * show what the prompt asks for. Empty for any other model or a prompt of the world.
     */
    static Optional<String> worldPromptNote(Path dir, String prompt) {
        Optional<Path> world = DefaultModel.trained();
        if (world.isEmpty() || !sameFolder(world.get(), dir)) {
            return Optional.empty();
        }
        try {
            PromptParser.parse(prompt);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of("note: the default model is this project's procedural world model (docs/default-model.md): it knows only "
                    + "prompts of its world, and will not show what this one asks for. " + e.getMessage()
                    + ". For other prompts, give --model (a CogVideoX checkpoint folder or hub id).");
        }
    }

    private static boolean sameFolder(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }

    /** {@code --prompt} rewritten by the server of {@code --enhance-prompt}, printed; a server that cannot is an error naming it. */
    private String enhance(String original) {
        ChatClient client;
        try {
            client = new ChatClient(new Endpoint(enhancePrompt, enhanceModel, System.getenv("OPENAI_API_KEY")), ChatClient.Settings.defaults(null));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--enhance-prompt " + e.getMessage(), e);
        }
        try {
            String rewritten = new PromptEnhancer(client).enhance(original);
            System.err.println("enhanced prompt: " + rewritten);
            return rewritten;
        } catch (ChatException e) {
            throw new IllegalArgumentException("--enhance-prompt: " + e.getMessage(), e);
        }
    }

    @Override
    public Integer call() throws Exception {
        // under mpirun: every rank joins the job first; rank 0 alone checks the outputs and prints, and the other ranks
        // start only once its checks passed (rank 0 alone writes, so no other machine needs the output folder)
        try (Communicator comm = parallel.join()) {
            int code;
            try {
                code = run(comm);
            } catch (RuntimeException | Error e) {
                if (comm.size() == 1) {
                    throw e;
                }
                return ErrorReporter.report(e, err(), comm.prefix());   // "rank 1 of 2: error: ..."; leaving ends the job
            }
            if (code == 0) {
                comm.finish();                                         // else (cancelled) leave: mpirun ends the other ranks
            }
            return code;
        }
    }

    /** What the run needs once the options are checked and the model is known. */
    private record Prepared(CogVideoXPipeline pipeline, GenerationRequest req, List<Long> seeds, List<List<String>> names,
                            RunSettings settings, boolean latentsOnly, Path dir, CogVideoXTransformerConfig cfg, double rate) {
    }

    /**
     * This rank's run: rank 0 prepares first and tells the others whether its checks passed (if not, it prints its
     * error and every rank ends, the others without a word); then they prepare, quietly, wait until every rank has the
     * model (a rank may be fetching it), and every rank generates.
     */
    private int run(Communicator comm) throws Exception {
        Prepared p;
        if (comm.rank() == 0) {
            try {
                parallel.check(comm);
                p = prepare(true);
            } catch (RuntimeException | Error e) {
                if (comm.size() == 1) {
                    throw e;
                }
                int code = ErrorReporter.report(e, err(), comm.prefix());     // said before the others stop
                comm.fromRankZero(false);
                comm.finish();                                         // every rank ends cleanly
                return code;
            }
            comm.fromRankZero(true);
        } else {
            if (!comm.fromRankZero(false)) {
                comm.finish();
                return 0;                                              // rank 0 said why, and exits with the failure's code
            }
            p = prepare(false);
        }
        comm.awaitLoaded();                                            // a rank may have had to fetch the model
        return generate(p.pipeline(), p.req(), parallel.ranks(comm), p.seeds(), p.names(), p.settings(), p.latentsOnly(), p.dir(),
                p.cfg(), p.rate());
    }

    /**
     * The options checked, the model and the request; {@code first}: rank 0 of a job (or the one process), which also
     * checks the outputs, asks {@code --enhance-prompt} and prints the settings and the memory plan. The other ranks
     * need neither the output folder nor the text encoder (rank 0 hands them the prompt embeddings).
     */
    private Prepared prepare(boolean first) {
        // 0. an earlier output's settings fill the options not given here
        if (from != null) {
            applyStored(RunSettings.readFrom(from));
        }
        checkOptions();
        if (prompt == null) {
            throw new IllegalArgumentException("give --prompt (or --from an earlier output to reuse its prompt and settings)");
        }
        List<Long> seedList = seeds == null || seeds.isEmpty() ? List.of(42L) : List.copyOf(seeds);
        int n = numVideos != null ? numVideos : 1;
        if (n < 1 || n > 64) {
            throw new IllegalArgumentException("--num-videos must be between 1 and 64, got " + n);
        }
        if (noiseFile != null && seedList.size() > 1) {
            throw new IllegalArgumentException("--noise replays the draws of one run: give one --seed (or none)");
        }
        ImagePreprocess.Fit fit = switch (imageFit.toLowerCase(Locale.ROOT)) {
            case "stretch" -> ImagePreprocess.Fit.STRETCH;
            case "crop" -> ImagePreprocess.Fit.CROP;
            case "pad" -> ImagePreprocess.Fit.PAD;
            default -> throw new IllegalArgumentException("--image-fit must be stretch, crop or pad, not " + imageFit);
        };
        String schedulerClass = scheduler == null ? null : switch (scheduler.toLowerCase(Locale.ROOT)) {
            case "ddim" -> CogVideoXSchedulerConfig.DDIM;
            case "dpm" -> CogVideoXSchedulerConfig.DPM;
            default -> throw new IllegalArgumentException("--scheduler must be ddim or dpm, not " + scheduler);
        };
        // 1. the outputs are checked before any work: videos, or the latents (*.safetensors) for `decode`
        boolean latentsOnly = output.toLowerCase(Locale.ROOT).endsWith(".safetensors");
        boolean several = seedList.size() * (latentsOnly ? 1 : n) > 1;      // a latents file holds a whole batch
        List<List<String>> names = new ArrayList<>();                       // per seed, per video of the batch
        for (long seed : seedList) {
            List<String> forSeed = new ArrayList<>();
            for (int k = 1; k <= (latentsOnly ? 1 : n); k++) {
                forSeed.add(!several ? output : suffixed(output, "-" + seed + (n > 1 && !latentsOnly ? "-" + k : "")));
            }
            names.add(forSeed);
        }
        for (List<String> forSeed : first ? names : List.<List<String>>of()) {
            for (String name : forSeed) {
                if (latentsOnly) {
                    LatentsFile.checkWritable(Path.of(name));
                } else {
                    VideoWriters.checkWritable(VideoOutput.parse(name));
                }
            }
        }
        // 1b. the prompt rewritten by a language model (after the outputs are checked: a request may cost)
        if (enhancePrompt != null && first) {
            prompt = enhance(prompt);
        }
        // 2. the model
        Path dir = modelSource.resolve();
        if (first) {
            worldPromptNote(dir, prompt).ifPresent(err()::println);
        }
        CogVideoXPipeline pipeline = pipelines.apply(dir);
        if (schedulerClass != null) {
            pipeline = pipeline.withScheduler(schedulerClass);
        }
        Kernels kernels = compute.kernels(err());
        pipeline = pipeline.withWeights(weights.format()).withKernels(kernels);
        if (lora != null) {
            // the file is checked against the model now, before any stage runs
            LoraFile.read(lora).checkFits(pipeline.transformerConfig(), lora.toString());
            pipeline = pipeline.withTransformerLoader(t -> LoraFusion.loadTransformer(t, lora, loraScale, weights.format(), kernels));
        }
        CogVideoXTransformerConfig cfg = pipeline.transformerConfig();
        checkDtype(cfg);
        // the options given; the model's defaults (the pipeline's, from its configs) fill the rest
        GenerationRequest asked = pipeline.complete(GenerationRequest.builder().prompts(java.util.Collections.nCopies(n, prompt))
                .negativePrompts(negativePrompt == null ? null : java.util.Collections.nCopies(n, negativePrompt))
                .frames(frames).size(height, width).steps(steps).guidance(guidance).dynamicCfg(dynamicCfg).build());
        GenerationDefaults defaults = pipeline.defaults();
        int f = asked.numFrames(), h = asked.height(), w = asked.width();
        defaults.checkFrames(cfg.variant(), f);
        defaults.checkSize(cfg.variant(), h, w);
        if (image != null && !pipeline.isImageToVideo()) {
            throw new IllegalArgumentException("--image given but " + dir + " is a text-to-video model (" + cfg.variant() + "); use an image-to-video model such as THUDM/CogVideoX-5b-I2V");
        }
        if (image == null && pipeline.isImageToVideo()) {
            throw new IllegalArgumentException(dir + " is an image-to-video model (" + cfg.variant() + "): give --image");
        }
        String sampler = pipeline.scheduler().config().className();
        double rate = fps != null ? fps : defaults.fps();
        GenerationRequest.Builder b = asked.toBuilder().vaeTiling(vaeTiling.tiling(pipeline.vaeConfig(), h, w));
        if (image != null) {
            Tensor picture = MediaReader.readImage(image);                                     // [3, H0, W0]
            String note = ImagePreprocess.describeFit(picture.dim(1), picture.dim(2), h, w, fit);
            if (note != null && first) {
                err().println("note: " + note);
            }
            b.image(repeat(ImagePreprocess.fit(picture, h, w, fit).reshape(1, 3, h, w), n));
        }
        if (video != null) {
            b.video(repeat(sourceVideo(video, f, h, w, fit), n), strength != null ? strength : 0.8);
        }
        sampling.applyTo(b, pipeline);
        GenerationRequest req = b.build();
        // 3. what runs, and the memory plan, before anything big is loaded
        Object modelGiven = modelSource.model == null ? null
                : java.nio.file.Files.isDirectory(Path.of(modelSource.model)) ? Path.of(modelSource.model) : modelSource.model;
        RunSettings settings = new RunSettings().put("--model", modelGiven).put("--revision", modelSource.model != null
                        && !"main".equals(modelSource.revision) ? modelSource.revision : null)
                .put("--prompt", prompt).put("--negative-prompt", negativePrompt).put("--image", image)
                .put("--image-fit", image != null || video != null ? fit.name().toLowerCase(Locale.ROOT) : null).put("--video", video)
                .put("--strength", video != null ? strength : null).put("--frames", f).put("--height", h).put("--width", w)
                .put("--steps", req.numInferenceSteps()).put("--guidance", req.guidanceScale()).put("--dynamic-cfg", req.useDynamicCfg())
                .put("--scheduler", sampler.equals(CogVideoXSchedulerConfig.DPM) ? "dpm" : "ddim").put("--fps", rate)
                .put("--num-videos", n > 1 ? n : null).put("--dtype", dtype).put("--lora", lora)
                .put("--lora-scale", lora != null ? loraScale : null).put("--vae-tiling", vaeTiling.on ? true : null)
                .put("--vae-tile", vaeTiling.tile).put("--vae-tile-overlap", vaeTiling.overlap).put("--noise", noiseFile)
                .put("--weights", weights.format() != null ? weights.kind : null).put("--compute", compute.bf16() ? "bf16" : null);
        sampling.record(settings);
        // each rank checks its own machine; an untiled decode is rank 0's alone
        MemoryPlan whole = MemoryPlan.estimate(dir, cfg, req, weights.format(), first);
        MemoryPlan plan = latentsOnly || !first && !req.vaeTiling() ? whole.withoutDecode() : whole;
        MemoryPlan.Host host = MemoryPlan.Host.current();
        if (first) {
            err().println("settings: " + cfg.variant() + " model " + dir + "; " + settings.summary() + " --seed "
                    + seedList.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(",")));
            err().println(plan.describe(host));
        }
        plan.check(host, req.vaeTiling());
        return new Prepared(pipeline, req, seedList, names, settings, latentsOnly, dir, cfg, rate);
    }

    private int generate(CogVideoXPipeline run, GenerationRequest req, Ranks ranks, List<Long> seedList, List<List<String>> names,
                         RunSettings settings, boolean latentsOnly, Path dir, CogVideoXTransformerConfig cfg, double rate) throws Exception {
        ProgressListener bar = !ranks.writes() ? ProgressListener.NONE : progress != null ? progress : ProgressBar.forConsole(System.err);
        Cancellable.Job job = cancel -> {
            for (int i = 0; i < seedList.size(); i++) {
                long seed = seedList.get(i);
                NoiseSource noise = noiseFile != null ? replay(noiseFile) : NoiseSource.of(new TorchGenerator(seed));
                String description = settings.put("--seed", noiseFile != null ? null : seed).toJson();
                ranWith = description;
                if (seedList.size() > 1 && ranks.writes()) {
                    err().println("seed " + seed + " (" + (i + 1) + " of " + seedList.size() + ")");
                }
                if (!ranks.writes()) {                          // its share of rank 0's video: no frames come here
                    RunContext share = RunContext.of(bar, cancel).withRanks(ranks);
                    if (latentsOnly) {
                        run.denoise(req, noise, share);
                    } else {
                        run.generate(req, noise, share, (sample, first, frames) -> { });
                    }
                } else if (latentsOnly) {
                    Path latentsOut = Path.of(names.get(i).getFirst());
                    Tensor latents = run.denoise(req, noise, RunContext.of(bar, cancel).withRanks(ranks));
                    LatentsFile.write(latentsOut, latents, dir, cfg.variant(), description);
                    out().println("wrote latents " + Arrays.toString(latents.shape()) + " to " + latentsOut
                            + " (to a video: cogvideox decode --model " + dir + " --latents " + latentsOut + " --output out.mp4)");
                } else {
                    List<VideoOutput> outs = names.get(i).stream().map(VideoOutput::parse).toList();
                    VideoFiles.write(outs, VideoOptions.fps(rate).withDescription(description), out(),
                            sink -> run.generate(req, noise, RunContext.of(bar, cancel).withRanks(ranks), sink));
                }
            }
            return 0;
        };
        return cancellation != null ? job.run(cancellation) : Cancellable.run(30, job);
    }

    private PrintStream err() {
        return messages != null ? messages : System.err;
    }

    private PrintStream out() {
        return messages != null ? messages : System.out;
    }

    /** {@code out.mp4} -> {@code out-42.mp4}; {@code frames/} -> {@code frames-42/}. */
    static String suffixed(String output, String suffix) {
        if (output.endsWith("/") || output.endsWith(java.io.File.separator)) {
            return output.substring(0, output.length() - 1) + suffix + output.substring(output.length() - 1);
        }
        int slash = Math.max(output.lastIndexOf('/'), output.lastIndexOf(java.io.File.separatorChar));
        int dot = output.lastIndexOf('.');
        return dot > slash + 1 ? output.substring(0, dot) + suffix + output.substring(dot) : output + suffix;
    }

    /** {@code [1, ...]} repeated {@code n} times along the batch. */
    private static Tensor repeat(Tensor one, int n) {
        if (n == 1) {
            return one;
        }
        int[] shape = one.shape().clone();
        shape[0] = n;
        Tensor out = Tensor.zeros(shape);
        for (int i = 0; i < n; i++) {
            System.arraycopy(one.data(), 0, out.data(), i * one.numel(), one.numel());
        }
        return out;
    }

    /** Sets every option not given on the command line from the stored settings. */
    private void applyStored(RunSettings stored) {
        CommandLine.ParseResult given = spec.commandLine().getParseResult();
        for (Map.Entry<String, Object> e : stored.values().entrySet()) {
            String name = e.getKey();
            OptionSpec option = spec.findOption(name);
            if (option == null || given.hasMatchedOption(name) || name.equals("--from")) {
                continue;
            }
            if (name.equals("--model") || name.equals("--revision")) {
                if (!given.hasMatchedOption("--model")) {
                    option.setValue(e.getValue().toString());
                }
                continue;
            }
            option.setValue(convert(name, e.getValue(), option.type()));
        }
    }

    private static Object convert(String name, Object v, Class<?> type) {
        try {
            if (type == List.class) {                                           // --seed
                return new ArrayList<>(List.of(((Number) v).longValue()));
            }
            if (type == Integer.class || type == int.class) {
                return ((Number) v).intValue();
            }
            if (type == Double.class || type == double.class) {
                return ((Number) v).doubleValue();
            }
            if (type == Long.class || type == long.class) {
                return ((Number) v).longValue();
            }
            if (type == Boolean.class || type == boolean.class) {
                return (Boolean) v;
            }
            if (type == Path.class) {
                return Path.of(v.toString());
            }
            return v.toString();
        } catch (ClassCastException e) {
            throw new IllegalArgumentException("--from: the stored " + name + " '" + v + "' is not a " + type.getSimpleName());
        }
    }

    private void checkDtype(CogVideoXTransformerConfig cfg) {
        switch (dtype) {
            case "bf16", "fp32" -> {
            }
            case "fp16" -> {
                if (!cfg.variant().equals("2b")) {
                    throw new IllegalArgumentException("--dtype fp16: the " + cfg.variant() + " model was trained in bf16 and gives NaN "
                            + "(a black video) in fp16, as the official repository documents; use --dtype bf16");
                }
            }
            default -> throw new IllegalArgumentException("--dtype must be bf16, fp16 or fp32, not " + dtype);
        }
    }

    /**
     * The first {@code frames} frames of a video file, each fitted to {@code h x w} as {@code fit} says (stretch by default,
     * as diffusers' {@code preprocess_video} resizes): {@code [1, F, 3, h, w]}.
     */
    private static Tensor sourceVideo(Path file, int frames, int h, int w, ImagePreprocess.Fit fit) {
        Tensor src = MediaReader.readVideo(file, frames);                                       // [F, 3, H0, W0]
        if (src.dim(0) < frames) {
            throw new IllegalArgumentException(file + " has " + src.dim(0) + " frames, --frames asks for " + frames);
        }
        return ImagePreprocess.fitVideo(src, frames, h, w, fit);
    }

    /** Recorded draws in call order: {@code noise.<j>} or {@code in.noise.<j>}. */
    private static NoiseSource replay(Path file) {
        List<Tensor> draws = new ArrayList<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            String prefix = f.has("noise.0") ? "noise." : "in.noise.";
            for (int j = 0; f.has(prefix + j); j++) {
                draws.add(f.entry(prefix + j).toTensor());
            }
        }
        if (draws.isEmpty()) {
            throw new IllegalArgumentException(file + ": no noise.0 / in.noise.0 tensor to replay");
        }
        return NoiseSource.replay(draws);
    }
}
