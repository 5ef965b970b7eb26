package dev.cogvideox.train.verify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.model.transformer.CogVideoXTransformer3DModel;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.model.transformer.Embeddings;
import dev.cogvideox.model.transformer.RotaryPositions;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoX;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.ImageConditioning;
import dev.cogvideox.train.TrainingStep;
import dev.cogvideox.train.lora.LoraAdapter;
import dev.cogvideox.train.lora.LoraFile;
import dev.cogvideox.train.lora.LoraFusion;
import dev.cogvideox.train.lora.LoraWeights;
import dev.cogvideox.train.model.Parameter;
import dev.cogvideox.train.model.TrainTransformer;
import dev.cogvideox.verify.Checker;
import dev.cogvideox.verify.ComponentVerifier;
import dev.cogvideox.verify.GoldenCase;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code train} cases, told apart by their tensors: a LoRA checkpoint case ({@code out.sample.no_lora}: load the
 * diffusers LoRA file, run the transformer unfused and fused at each scale), else one training step (text-to-video
 * with {@code in.model_input}, image-to-video with {@code in.video_latents}, LoRA-only training with {@code in.lora.*}):
 * loss, output, debug intermediates and the gradient of every trainable parameter.
 */
public final class TrainVerifier implements ComponentVerifier {
    private static final String LORA_IN = "in.lora.";

    @Override
    public String component() {
        return "train";
    }

    @Override
    public void verify(GoldenCase c, Checker checker) {
        if (c.has("out.sample.no_lora")) {
            loraCheckpoint(c, checker);
        } else {
            trainingStep(c, checker);
        }
    }

    private static void trainingStep(GoldenCase c, Checker checker) {
        Path transformerDir = c.modelDir().resolve("transformer");
        TrainTransformer model = TrainTransformer.load(transformerDir);
        CogVideoXScheduler scheduler = CogVideoXScheduler.fromPretrained(c.modelDir());
        boolean lora = !c.names(LORA_IN).isEmpty();
        if (lora) {
            JsonNode alpha = c.spec().path("lora").path("lora_alpha");
            LoraAdapter.attach(model, LoraWeights.fromKeys(caseLora(c), alpha.isMissingNode() ? null : alpha.asDouble(), c.name()), true);
        }
        boolean i2v = c.has("in.video_latents");
        Tensor latents = c.tensor(i2v ? "in.video_latents" : "in.model_input");
        Embeddings.RotaryTable rope = rope(c, checker, model.config(), latents);
        Tensor imageLatents = null;
        if (i2v) {
            checkImageConditioning(c, checker, latents.dim(1));
            imageLatents = c.tensor("in.image_latents");   // the step starts from the recorded latents (fixtures README)
        }

        TrainingStep.Result r = TrainingStep.run(model, scheduler, new TrainingStep.Batch(latents, imageLatents,
                c.tensor("in.prompt_embeds"), c.longs("in.timesteps"), c.tensor("in.noise"), rope, null));

        checker.check("out.loss", Tensor.of(new float[]{(float) r.loss().loss()}));
        checker.check("out.model_output", r.modelOutput());
        checker.check(i2v ? "out.dbg.noisy_video_latents" : "out.dbg.noisy_model_input", r.noisyLatents());
        checker.check("out.dbg.model_pred", r.loss().modelPred());
        checker.check("out.dbg.loss_per_sample", floats(r.loss().perSample()));
        checker.check("out.dbg.weights", floats(r.loss().weights()));
        for (Parameter p : model.parameters().trainable()) {
            String name = "out.grad." + (lora ? LoraWeights.PREFIX : "") + p.name();
            checker.check(name, p.grad() != null ? p.grad() : Tensor.zeros(p.value().shape()));
        }
    }

    /** I2V data path: noise augmentation of the first frame, then VAE encode, posterior sample, scale, zero padding. */
    private static void checkImageConditioning(GoldenCase c, Checker checker, int frames) {
        Tensor noisyImage = ImageConditioning.noisyImage(c.tensor("in.image"), c.tensor("in.image_noise"), c.tensor("in.image_noise_sigma").data());
        checker.check("out.dbg.prep.noisy_image", noisyImage);
        try (AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.load(c.modelDir().resolve("vae"))) {
            checker.check("out.prep.image_latents", ImageConditioning.imageLatents(vae, noisyImage, c.tensor("in.image_posterior_noise"), frames));
        }
    }

    /** The pipeline's RoPE table for RoPE models (checked against {@code out.rope_cos/sin}), else null. */
    private static Embeddings.RotaryTable rope(GoldenCase c, Checker checker, CogVideoXTransformerConfig cfg, Tensor latents) {
        if (!cfg.useRotaryPositionalEmbeddings()) {
            return null;
        }
        Embeddings.RotaryTable rope = RotaryPositions.forLatents(cfg, latents.dim(3), latents.dim(4), latents.dim(1));
        checker.check("out.rope_cos", rope.cos());
        checker.check("out.rope_sin", rope.sin());
        return rope;
    }

    private static void loraCheckpoint(GoldenCase c, Checker checker) {
        Path transformerDir = c.modelDir().resolve("transformer");
        LoraWeights lora = LoraFile.read(c.fixtureRoot().resolve(c.spec().path("lora_file").path("path").asText()));
        lora.toKeys().forEach((key, t) -> checker.check(LORA_IN + key, t));
        Tensor hidden = c.tensor("in.hidden_states");
        Tensor text = c.tensor("in.encoder_hidden_states");
        float[] timesteps = floats(c.longs("in.timestep"));
        try (CogVideoXTransformer3DModel base = CogVideoXTransformer3DModel.load(transformerDir)) {
            checker.check("out.sample.no_lora", base.forward(hidden, text, timesteps, null, null));
        }
        TrainTransformer unfused = TrainTransformer.load(transformerDir);
        LoraAdapter.attach(unfused, lora, true);
        for (String name : c.names("out.sample.lora_scale_")) {
            String s = name.substring("out.sample.lora_scale_".length());
            double scale = Double.parseDouble(s);
            // 1. unfused: the runtime branch with scaling *= scale
            LoraAdapter.setScale(unfused, scale);
            checker.check(name, unfused.forward(hidden, text, timesteps, null, null).output());
            // 2. fused into the weights of the inference model
            CogVideoXTransformerConfig cfg = unfused.config();
            WeightStore fused = LoraFusion.fuse(WeightStore.open(transformerDir), cfg, lora, scale);
            try (CogVideoXTransformer3DModel model = new CogVideoXTransformer3DModel(cfg, fused)) {
                for (LoraWeights.Module m : lora.modules().values()) {
                    checker.check("out.dbg.fused_weight.lora_scale_" + s + "." + m.path() + ".weight", fused.entry(m.path() + ".weight").toTensor());
                }
                checker.check("out.sample_fused.lora_scale_" + s, model.forward(hidden, text, timesteps, null, null));
            }
        }
    }

    private static Map<String, Tensor> caseLora(GoldenCase c) {
        Map<String, Tensor> keys = new LinkedHashMap<>();
        c.names(LORA_IN).forEach(n -> keys.put(n.substring(LORA_IN.length()), c.tensor(n)));
        return keys;
    }

    private static Tensor floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return Tensor.of(f, f.length);
    }

    private static float[] floats(long[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = v[i];
        }
        return f;
    }
}
