package dev.cogvideox.train.verify;

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
import dev.cogvideox.verify.Implemented;
import dev.cogvideox.verify.SpecNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
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
        String function = c.function();
        if (function.startsWith("LoRA checkpoint (diffusers format)")) {
            loraCheckpoint(c, checker);
        } else if (function.startsWith("one training step") || function.startsWith("one LoRA training step")
                || function.startsWith("one I2V training step")) {
            trainingStep(c, checker);
        } else {
            throw new IllegalArgumentException("train case: function '" + function + "' is not implemented here");
        }
    }

    /**
     * The tensor an argument names: its first word ({@code "in.noise  (torch.randn_like(...))"} names {@code in.noise}),
     * the rest describing how the reference made it.
     */
    private static Tensor named(GoldenCase c, SpecNode arg) {
        return c.tensor(arg.asText().split("\\s+")[0]);
    }

    private static long[] namedLongs(GoldenCase c, SpecNode arg) {
        return c.longs(arg.asText().split("\\s+")[0]);
    }

    /** A descriptive argument that must mention what this implementation does (it is read, not skipped). */
    private static void mentions(SpecNode arg, String... implemented) {
        String text = arg.asText();
        for (String s : implemented) {
            if (!text.contains(s)) {
                throw new IllegalArgumentException(arg.path() + ": '" + text + "' does not describe what is implemented here ("
                        + s + ")");
            }
        }
    }

    /** The reference script's loss, scheduler and trainable set, as implemented by {@link TrainingStep}. */
    private static void checkRecipe(SpecNode args, boolean lora, boolean i2v) {
        mentions(args.get("script"), i2v ? "train_cogvideox_image_to_video_lora.py" : "train_cogvideox_lora.py");
        mentions(args.get("scheduler"), "Scheduler.from_pretrained(<model_dir>/scheduler)");
        mentions(args.get("trainable"), lora ? "LoRA parameters only" : "ALL transformer parameters");
        mentions(args.get("loss"), "scheduler.add_noise", "scheduler.get_velocity", "w_b = 1 / (1 - ac[t_b])");
    }

    private static void trainingStep(GoldenCase c, Checker checker) {
        Path transformerDir = c.modelDir().resolve("transformer");
        TrainTransformer model = TrainTransformer.load(transformerDir);
        CogVideoXScheduler scheduler = CogVideoXScheduler.fromPretrained(c.modelDir());
        SpecNode args = c.arguments();
        boolean lora = args.get("lora_weights").exists();
        boolean i2v = args.get("video_latents").exists();
        checkRecipe(args, lora, i2v);
        if (lora) {
            mentions(args.get("lora_weights"), LORA_IN + "<key>");
            SpecNode config = args.get("lora_config");
            Implemented.oneOf(config.get("lora_dropout"), 0.0);
            Implemented.oneOf(config.get("bias"), "none");
            Implemented.oneOf(config.get("use_rslora"), false);
            Implemented.oneOf(config.get("use_dora"), false);
            LoraWeights weights = LoraWeights.fromKeys(caseLora(c), config.get("lora_alpha").asDouble(), c.name());
            int rank = weights.modules().values().iterator().next().rank();
            checker.checkEquals("lora_config.r", config.get("r").asInt(), rank);
            checker.checkEquals("lora_config.scaling", config.get("scaling").asDouble(), config.get("lora_alpha").asDouble() / rank);
            List<String> targets = new ArrayList<>();
            config.get("target_modules").forEach(t -> targets.add(t.asText()));
            checker.checkEquals("lora_config.target_modules", new TreeSet<>(targets),
                    weights.modules().keySet().stream().map(m -> m.substring(m.indexOf(".attn1.") + ".attn1.".length()))
                            .collect(Collectors.toCollection(TreeSet::new)));
            LoraAdapter.attach(model, weights, true);
        }
        Tensor latents = named(c, args.get(i2v ? "video_latents" : "model_input"));
        Embeddings.RotaryTable rope = rope(c, checker, model.config(), latents, args.get("image_rotary_emb"));
        Tensor imageLatents = null;
        if (i2v) {
            checkImageConditioning(c, checker, args.get("image_conditioning"), latents.dim(1));
            imageLatents = named(c, args.get("image_latents"));  // the step starts from the recorded latents (fixtures README)
        }

        TrainingStep.Result r = TrainingStep.run(model, scheduler, new TrainingStep.Batch(latents, imageLatents,
                named(c, args.get("prompt_embeds")), namedLongs(c, args.get("timesteps")), named(c, args.get("noise")), rope, null));

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
    private static void checkImageConditioning(GoldenCase c, Checker checker, SpecNode prep, int frames) {
        mentions(prep.get("noisy_image"), "image + image_noise * image_noise_sigma");
        mentions(prep.get("vae"), "no tiling / slicing");
        mentions(prep.get("scale"), "scaling_factor");
        mentions(prep.get("padding"), "zeros");
        mentions(prep.get("noised_image_dropout"), "not applied");
        Tensor noisyImage = ImageConditioning.noisyImage(named(c, prep.get("image")), named(c, prep.get("image_noise")),
                named(c, prep.get("image_noise_sigma")).data());
        checker.check("out.dbg.prep.noisy_image", noisyImage);
        mentions(prep.get("posterior_sample"), "in.image_posterior_noise");
        try (AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.load(c.modelDir().resolve("vae"))) {
            checker.check("out.prep.image_latents", ImageConditioning.imageLatents(vae, noisyImage, c.tensor("in.image_posterior_noise"), frames));
        }
    }

    /** The pipeline's RoPE table for RoPE models (checked against {@code out.rope_cos/sin}), else null. */
    private static Embeddings.RotaryTable rope(GoldenCase c, Checker checker, CogVideoXTransformerConfig cfg, Tensor latents, SpecNode arg) {
        if (!arg.hasValue()) {
            return null;
        }
        Embeddings.RotaryTable rope = RotaryPositions.forLatents(cfg, latents.dim(3), latents.dim(4), latents.dim(1));
        checker.check(arg.at(0).asText(), rope.cos());
        checker.check(arg.at(1).asText(), rope.sin());
        return rope;
    }

    private static void loraCheckpoint(GoldenCase c, Checker checker) {
        Path transformerDir = c.modelDir().resolve("transformer");
        SpecNode args = c.arguments();
        LoraWeights lora = LoraFile.read(c.fixtureRoot().resolve(args.get("lora_file").asText()));
        lora.toKeys().forEach((key, t) -> checker.check(LORA_IN + key, t));
        Tensor hidden = named(c, args.get("hidden_states"));
        Tensor text = named(c, args.get("encoder_hidden_states"));
        float[] timesteps = floats(namedLongs(c, args.get("timestep")));
        if (args.get("image_rotary_emb").hasValue()) {
            throw new IllegalArgumentException("train LoRA checkpoint case with a RoPE table: only the 2b-style (no RoPE) case is implemented");
        }
        // every output the case lists is one of the calls below: the base model, then unfused and fused at each scale
        for (String output : args.get("calls").keys()) {
            mentions(args.get("calls").get(output), output.contains("fused") ? "fuse_lora" : "transformer");
        }
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
