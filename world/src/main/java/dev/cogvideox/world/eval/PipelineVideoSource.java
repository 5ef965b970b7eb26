package dev.cogvideox.world.eval;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.schedule.CogVideoXDPMScheduler;
import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.pipeline.CogVideoXPipeline;
import dev.cogvideox.pipeline.GenerationRequest;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.Tensor;

import java.nio.file.Path;

/**
 * Videos from a model through the text-to-video pipeline, made as {@code cogvideox generate --model DIR --prompt P
 * --seed S --steps N --guidance G} makes them with no size options: the model's own frame count and size (its
 * transformer's {@code sample_frames}, {@code sample_height * 8}, {@code sample_width * 8}), dynamic guidance with a
 * DPM scheduler, the transformer's prompt length. So any video the evaluator scores can be made again with {@code generate}.
 */
public final class PipelineVideoSource implements VideoSource {
    private final CogVideoXPipeline pipeline;
    private final int frames, height, width, steps;
    private final double guidance;
    private final boolean dynamicCfg;
    private final int maxSequenceLength;

    public PipelineVideoSource(Path modelDir, int steps, double guidance) {
        this.pipeline = CogVideoXPipeline.load(modelDir);
        CogVideoXTransformerConfig cfg = pipeline.transformerConfig();
        if (pipeline.isImageToVideo()) {
            throw new IllegalArgumentException(modelDir + " is an image-to-video model (" + cfg.variant() + "); evaluate takes a text-to-video model");
        }
        if (cfg.patchSizeT() != null) {
            throw new IllegalArgumentException(modelDir + " is a CogVideoX 1.5 model; evaluate takes a 1.0-style model (the world's default model is one)");
        }
        this.frames = cfg.sampleFrames();
        this.height = cfg.sampleHeight() * 8;
        this.width = cfg.sampleWidth() * 8;
        this.steps = steps;
        this.guidance = guidance;
        this.dynamicCfg = CogVideoXScheduler.fromPretrained(modelDir) instanceof CogVideoXDPMScheduler;
        this.maxSequenceLength = cfg.maxTextSeqLength();
    }

    public int frames() {
        return frames;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public boolean dynamicCfg() {
        return dynamicCfg;
    }

    @Override
    public Tensor video(String prompt, long seed, CancellationToken cancel) {
        GenerationRequest req = GenerationRequest.builder().prompt(prompt).frames(frames).size(height, width).steps(steps)
                .guidance(guidance).dynamicCfg(dynamicCfg).maxSequenceLength(maxSequenceLength).build();
        Tensor v = pipeline.generate(req, NoiseSource.of(new TorchGenerator(seed)), RunContext.of(ProgressListener.NONE, cancel));
        return v.reshape(v.dim(1), v.dim(2), v.dim(3), v.dim(4));                                 // [1, F, 3, H, W] -> [F, 3, H, W]
    }
}
