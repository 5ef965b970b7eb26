package dev.cogvideox.train.run;

import dev.cogvideox.io.OverlayWeightStore;
import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.WeightStore;
import dev.cogvideox.io.video.VideoOptions;
import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriter;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.transformer.CogVideoXTransformer3DModel;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.pipeline.CogVideoXPipeline;
import dev.cogvideox.pipeline.GenerationRequest;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.lora.LoraFusion;
import dev.cogvideox.train.lora.LoraWeights;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A validation video: the inference pipeline (T5, the denoising loop with guidance, the VAE decoder) with the
 * transformer as trained so far: the base weights with the current LoRA fused at scale 1, or the current weights of
 * a full run. The training state is only read, so validation does not change the run.
 */
final class Validation {
    private Validation() {
    }

    /**
     * @param lora    the current LoRA, or null for a full run
     * @param weights the current trainable weights by name (full runs), or null
     */
    static Path write(Path modelDir, LoraWeights lora, Map<String, Tensor> weights, String prompt, Stage stage, int steps, long seed, Path gif,
                      ProgressListener progress, CancellationToken cancel) {
        CogVideoXPipeline pipeline = CogVideoXPipeline.load(modelDir).withTransformerLoader(dir -> {
            CogVideoXTransformerConfig cfg = CogVideoXTransformerConfig.read(dir.resolve("config.json"));
            WeightStore base = WeightStore.open(dir);
            return new CogVideoXTransformer3DModel(cfg, lora != null ? LoraFusion.fuse(base, cfg, lora, 1.0) : new OverlayWeightStore(base, f32(weights), "trained weights"));
        });
        // guidance and prompt length: the model's defaults, as generate runs it; the guidance scale stays fixed
        GenerationRequest req = GenerationRequest.builder().prompt(prompt).frames(stage.shape().frames())
                .size(stage.shape().height(), stage.shape().width()).steps(steps).dynamicCfg(false).build();
        try (VideoWriter writer = VideoWriters.open(VideoOutput.parse(gif.toString()), VideoOptions.fps(8))) {
            pipeline.generate(req, NoiseSource.of(new TorchGenerator(seed)), RunContext.of(progress, cancel),
                    (sample, first, frames) -> writer.write(frames));
            return writer.finish();
        }
    }

    private static Map<String, SafetensorsFile.Entry> f32(Map<String, Tensor> weights) {
        Map<String, SafetensorsFile.Entry> out = new HashMap<>();
        weights.forEach((name, t) -> out.put(name, new SafetensorsFile.Entry("trained weights", name, DType.F32, t.shape(),
                MemorySegment.ofArray(t.data().clone()))));
        return out;
    }
}
