package dev.cogvideox.cli;

import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.video.MediaReader;
import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.model.Taps;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.pipeline.CogVideoXPipeline;
import dev.cogvideox.pipeline.GenerationDefaults;
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
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

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

    @Option(names = "--prompt", required = true, description = "What the video shows (the T5 encoder reads up to the model's "
            + "max_text_seq_length tokens, 226; a longer prompt is cut with a warning).")
    String prompt;

    @Option(names = "--negative-prompt", description = "Default: \"\" (as diffusers).")
    String negativePrompt;

    @Option(names = "--image", description = "Conditioning image for image-to-video models (PNG/JPEG).")
    Path image;

    @Option(names = "--video", description = "Source video for video-to-video (MP4, GIF or a folder of PNG frames); its first --frames frames are used.")
    Path video;

    @Option(names = "--strength", defaultValue = "0.8", description = "Video-to-video: how much of the schedule re-noises the source (default: ${DEFAULT-VALUE}).")
    double strength;

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

    @Option(names = "--seed", defaultValue = "42", description = "torch.manual_seed-compatible seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--noise", description = "Replay the random draws from a safetensors file (tensors noise.0, noise.1, ... or in.noise.*, in call order).")
    Path noiseFile;

    @Option(names = "--fps", description = "Frames per second of the video file (default: 8 for 1.0 models, 16 for 1.5, as the official demo).")
    Double fps;

    @Option(names = "--vae-tiling", description = "Decode in overlapping spatial tiles (bounded memory).")
    boolean vaeTiling;

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

    @Override
    public Integer call() throws Exception {
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
        checkDtype(cfg);
        GenerationDefaults defaults = pipeline.defaults();
        int f = frames != null ? frames : defaults.frames();
        defaults.checkFrames(cfg.variant(), f);
        int h = height != null ? height : defaults.height();
        int w = width != null ? width : defaults.width();
        defaults.checkSize(cfg.variant(), h, w);
        if (image != null && !pipeline.isImageToVideo()) {
            throw new IllegalArgumentException("--image given but " + dir + " is a text-to-video model (" + cfg.variant() + "); use an image-to-video model such as THUDM/CogVideoX-5b-I2V");
        }
        if (image == null && pipeline.isImageToVideo()) {
            throw new IllegalArgumentException(dir + " is an image-to-video model (" + cfg.variant() + "): give --image");
        }
        boolean dpm = dev.cogvideox.model.schedule.CogVideoXScheduler.fromPretrained(dir) instanceof dev.cogvideox.model.schedule.CogVideoXDPMScheduler;
        GenerationRequest.Builder b = GenerationRequest.builder().prompt(prompt).negativePrompt(negativePrompt)
                .frames(f).size(h, w).steps(steps != null ? steps : defaults.steps()).guidance(guidance != null ? guidance : defaults.guidance()).dynamicCfg(dynamicCfg != null ? dynamicCfg : dpm)
                .maxSequenceLength(cfg.maxTextSeqLength()).vaeTiling(vaeTiling);
        if (image != null) {
            b.image(ImagePreprocess.resizeCenterCrop(MediaReader.readImage(image), h, w).reshape(1, 3, h, w));
        }
        if (video != null) {
            b.video(sourceVideo(video, f, h, w), strength);
        }
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
                VideoFiles.write(out, fps != null ? fps : defaults.fps(),
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
