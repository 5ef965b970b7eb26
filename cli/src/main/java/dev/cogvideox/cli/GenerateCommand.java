package dev.cogvideox.cli;

import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.video.MediaReader;
import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.model.Taps;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.pipeline.CogVideoXPipeline;
import dev.cogvideox.pipeline.GenerationRequest;
import dev.cogvideox.pipeline.ImagePreprocess;
import dev.cogvideox.pipeline.LatentsFile;
import dev.cogvideox.pipeline.MemoryPlan;
import dev.cogvideox.progress.ProgressBar;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.lora.LoraFile;
import dev.cogvideox.train.lora.LoraFusion;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code cogvideox generate}: from a prompt (and an image) to a video file. */
@Command(name = "generate", description = "Generate a video from a prompt (text-to-video) or a prompt and an image (image-to-video).")
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelSource modelSource;

    @Option(names = "--prompt", required = true)
    String prompt;

    @Option(names = "--negative-prompt", description = "Default: \"\" (as diffusers).")
    String negativePrompt;

    @Option(names = "--image", description = "Conditioning image for image-to-video models (PNG/JPEG).")
    Path image;

    @Option(names = "--video", description = "Source video for video-to-video (MP4, GIF or a folder of PNG frames); its first --frames frames are used.")
    Path video;

    @Option(names = "--strength", description = "Video-to-video: how much of the schedule re-noises the source, in (0, 1] (default: 0.8).")
    Double strength;

    @Option(names = "--frames", description = "Frames: 8N+1 for 1.0 models (default 49), 16N+1 for 1.5 models (default 81).")
    Integer frames;

    @Option(names = "--height", description = "Default: 480 (1.0), 768 (1.5).")
    Integer height;

    @Option(names = "--width", description = "Default: 720 (1.0), 1360 (1.5).")
    Integer width;

    @Option(names = "--steps", defaultValue = "50")
    int steps;

    @Option(names = "--guidance", defaultValue = "6.0")
    double guidance;

    @Option(names = "--dynamic-cfg", negatable = true, description = "Dynamic guidance scale (default: on with the DPM scheduler, as the official demo).")
    Boolean dynamicCfg;

    @Option(names = "--seed", defaultValue = "42", converter = Seed.class,
            description = "torch.manual_seed-compatible seed, any 64-bit value from -2^63 to 2^64-1 (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--noise", description = "Replay the random draws from a safetensors file (tensors noise.0, noise.1, ... or in.noise.*, in call order).")
    Path noiseFile;

    @Option(names = "--fps", description = "Default: 8 (1.0), 16 (1.5).")
    Double fps;

    @Mixin
    VaeTilingOptions vaeTiling;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--dtype", defaultValue = "bf16", description = "Weights precision the model was meant for: bf16 (default), fp16 or fp32; "
            + "compute is always fp32. fp16 is refused for the bf16-trained 5b and 1.5 models.")
    String dtype;

    @Option(names = "--lora", description = "A LoRA file in the diffusers/PEFT format (pytorch_lora_weights.safetensors), fused into the transformer.")
    Path lora;

    @Option(names = "--lora-scale", defaultValue = "1.0", description = "LoRA strength (diffusers' attention_kwargs scale; default ${DEFAULT-VALUE}).")
    double loraScale;

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
    private void checkOptions() {
        if (!Double.isFinite(guidance) || guidance < 0) {
            throw new IllegalArgumentException("--guidance must be a finite number >= 0 (up to 1 turns guidance off; 6 is the default), got " + guidance);
        }
        if (strength != null && video == null) {
            throw new IllegalArgumentException("--strength is for video-to-video: give --video, or drop --strength");
        }
        if (strength != null && !(strength > 0 && strength <= 1)) {
            throw new IllegalArgumentException("--strength must be in (0, 1], got " + strength);
        }
        if (steps < 1) {
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

    @Override
    public Integer call() throws Exception {
        checkOptions();
        // 1. the output is checked before any work: a video, or the latents (*.safetensors) for `decode`
        Path latentsOut = output.toLowerCase(Locale.ROOT).endsWith(".safetensors") ? Path.of(output) : null;
        VideoOutput out = latentsOut == null ? VideoOutput.parse(output) : null;
        if (out != null) {
            VideoWriters.checkWritable(out);
        } else {
            LatentsFile.checkWritable(latentsOut);
        }
        // 2. the model
        Path dir = modelSource.resolve();
        CogVideoXPipeline pipeline = CogVideoXPipeline.load(dir);
        if (lora != null) {
            // the file is checked against the model now, before any stage runs
            LoraFile.read(lora).checkFits(pipeline.transformerConfig(), lora.toString());
            pipeline = pipeline.withTransformerLoader(t -> LoraFusion.loadTransformer(t, lora, loraScale));
        }
        CogVideoXTransformerConfig cfg = pipeline.transformerConfig();
        boolean v15 = cfg.patchSizeT() != null;
        checkDtype(cfg);
        int f = frames != null ? frames : v15 ? 81 : cfg.sampleFrames();
        int step = v15 ? 16 : 8;
        if (f < 1 || (f - 1) % step != 0) {
            // the library takes any count, as diffusers does; the command line keeps users to what the model was trained on
            String returns = f < 1 ? "" : " (the pipeline would turn " + f + " frames into " + pipeline.latentFrames(f)
                    + " latent frames and return " + pipeline.outputFrames(f) + " frames, as diffusers does: the VAE decodes latent frames "
                    + "in batches of 2, each batch of 2 becoming 8 frames and only an odd first batch of 3 becoming 9)";
            throw new IllegalArgumentException("--frames " + f + ": the " + cfg.variant() + " model was trained on " + step + "N+1 frames (e.g. "
                    + (step + 1) + ", " + (3 * step + 1) + ", " + (6 * step + 1) + ")" + returns);
        }
        int h = height != null ? height : v15 ? 768 : cfg.sampleHeight() * 8;
        int w = width != null ? width : v15 ? 1360 : cfg.sampleWidth() * 8;
        if (h % 16 != 0 || w % 16 != 0) {
            throw new IllegalArgumentException("--height " + h + " --width " + w + ": both must be multiples of 16");
        }
        if (image != null && !pipeline.isImageToVideo()) {
            throw new IllegalArgumentException("--image given but " + dir + " is a text-to-video model (" + cfg.variant() + "); use an image-to-video model such as THUDM/CogVideoX-5b-I2V");
        }
        if (image == null && pipeline.isImageToVideo()) {
            throw new IllegalArgumentException(dir + " is an image-to-video model (" + cfg.variant() + "): give --image");
        }
        boolean dpm = dev.cogvideox.model.schedule.CogVideoXScheduler.fromPretrained(dir) instanceof dev.cogvideox.model.schedule.CogVideoXDPMScheduler;
        GenerationRequest.Builder b = GenerationRequest.builder().prompt(prompt).negativePrompt(negativePrompt)
                .frames(f).size(h, w).steps(steps).guidance(guidance).dynamicCfg(dynamicCfg != null ? dynamicCfg : dpm)
                .maxSequenceLength(cfg.maxTextSeqLength()).vaeTiling(vaeTiling.tiling(pipeline.vaeConfig(), h, w));
        if (image != null) {
            b.image(ImagePreprocess.resizeCenterCrop(MediaReader.readImage(image), h, w).reshape(1, 3, h, w));
        }
        if (video != null) {
            b.video(sourceVideo(video, f, h, w), strength != null ? strength : 0.8);
        }
        sampling.applyTo(b, dir, cfg);
        GenerationRequest req = b.build();
        // 3. the memory plan, before anything big is loaded
        MemoryPlan whole = MemoryPlan.estimate(dir, cfg, req);
        MemoryPlan plan = latentsOut == null ? whole : whole.withoutDecode();
        MemoryPlan.Host host = MemoryPlan.Host.current();
        System.err.println(plan.describe(host));
        plan.check(host, req.vaeTiling());
        // 4. run, writing frames as the VAE finishes them (or the latents); Ctrl-C cancels and leaves no partial file
        NoiseSource noise = noiseFile != null ? replay(noiseFile) : NoiseSource.of(new TorchGenerator(seed));
        CogVideoXPipeline run = pipeline;
        return Cancellable.run(30, cancel -> {
            if (latentsOut != null) {
                Tensor latents = run.denoise(req, noise, ProgressBar.forConsole(System.err), cancel, Taps.NONE);
                LatentsFile.write(latentsOut, latents, dir, cfg.variant());
                System.out.println("wrote latents " + Arrays.toString(latents.shape()) + " to " + latentsOut
                        + " (to a video: cogvideox decode --model " + dir + " --latents " + latentsOut + " --output out.mp4)");
            } else {
                VideoFiles.write(out, fps != null ? fps : v15 ? 16 : 8,
                        sink -> run.generate(req, noise, ProgressBar.forConsole(System.err), cancel, Taps.NONE, sink));
            }
            return 0;
        });
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

    /** The first {@code frames} frames of a video file, each fitted to {@code h x w}: {@code [1, F, 3, h, w]}. */
    private static Tensor sourceVideo(Path file, int frames, int h, int w) {
        Tensor src = MediaReader.readVideo(file, frames);                                       // [F, 3, H0, W0]
        if (src.dim(0) < frames) {
            throw new IllegalArgumentException(file + " has " + src.dim(0) + " frames, --frames asks for " + frames);
        }
        Tensor out = Tensor.zeros(1, frames, 3, h, w);
        int per = src.numel() / src.dim(0);
        for (int i = 0; i < frames; i++) {
            float[] one = java.util.Arrays.copyOfRange(src.data(), i * per, (i + 1) * per);
            Tensor fitted = ImagePreprocess.resizeCenterCrop(Tensor.of(one, 3, src.dim(2), src.dim(3)), h, w);
            System.arraycopy(fitted.data(), 0, out.data(), i * 3 * h * w, 3 * h * w);
        }
        return out;
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
