package dev.cogvideox.world.eval;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.pipeline.CogVideoXPipeline;
import dev.cogvideox.pipeline.GenerationDefaults;
import dev.cogvideox.pipeline.GenerationRequest;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.Tensor;

import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * Videos from a model through the text-to-video pipeline, made as {@code cogvideox generate --model DIR --prompt P
 * --seed S --steps N --guidance G} makes them with no size options: the pipeline's defaults for the model (its
 * frame count and size from its configs, dynamic guidance with a DPM scheduler, the transformer's prompt length). So
 * any video the evaluator scores can be made again with {@code generate}.
 */
public final class PipelineVideoSource implements VideoSource {
    private final CogVideoXPipeline pipeline;
    private final GenerationDefaults defaults;
    private final int steps;
    private final double guidance;
    private final UnaryOperator<GenerationRequest.Builder> options;

    public PipelineVideoSource(Path modelDir, int steps, double guidance) {
        this(CogVideoXPipeline.load(modelDir), modelDir, steps, guidance, UnaryOperator.identity());
    }

    /**
     * Videos from {@code pipeline} (e.g. with quantized weights), each request also given {@code options} (the sampling
     * levers of {@code generate}: a timestep list, a step cache, sparse attention), applied after the steps and guidance.
     */
    public PipelineVideoSource(CogVideoXPipeline pipeline, Path modelDir, int steps, double guidance, UnaryOperator<GenerationRequest.Builder> options) {
        this.pipeline = pipeline;
        this.options = options;
        CogVideoXTransformerConfig cfg = pipeline.transformerConfig();
        if (pipeline.isImageToVideo()) {
            throw new IllegalArgumentException(modelDir + " is an image-to-video model (" + cfg.variant() + "); evaluate takes a text-to-video model");
        }
        if (cfg.patchSizeT() != null) {
            throw new IllegalArgumentException(modelDir + " is a CogVideoX 1.5 model; evaluate takes a 1.0-style model (the world's default model is one)");
        }
        this.defaults = pipeline.defaults();
        this.steps = steps;
        this.guidance = guidance;
    }

    public int frames() {
        return defaults.frames();
    }

    public int height() {
        return defaults.height();
    }

    public int width() {
        return defaults.width();
    }

    public boolean dynamicCfg() {
        return defaults.dynamicCfg();
    }

    @Override
    public Tensor video(String prompt, long seed, CancellationToken cancel) {
        GenerationRequest req = options.apply(GenerationRequest.builder().prompt(prompt).steps(steps).guidance(guidance)).build();
        Tensor v = pipeline.generate(req, NoiseSource.of(new TorchGenerator(seed)), RunContext.of(ProgressListener.NONE, cancel));
        return v.reshape(v.dim(1), v.dim(2), v.dim(3), v.dim(4));                                 // [1, F, 3, H, W] -> [F, 3, H, W]
    }
}
