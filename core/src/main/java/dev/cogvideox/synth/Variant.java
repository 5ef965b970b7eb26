package dev.cogvideox.synth;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The published CogVideoX checkpoints (../shared/docs/published-models.md) and the configs their folders hold,
 * plus {@code TINY}: a small model of the 5b design (RoPE, DPM) used as the out-of-the-box default.
 */
public enum Variant {
    COGVIDEOX_2B("2b", "THUDM/CogVideoX-2b"),
    COGVIDEOX_5B("5b", "THUDM/CogVideoX-5b"),
    COGVIDEOX_5B_I2V("5b-i2v", "THUDM/CogVideoX-5b-I2V"),
    COGVIDEOX15_5B("1.5-5b", "THUDM/CogVideoX1.5-5B"),
    COGVIDEOX15_5B_I2V("1.5-5b-i2v", "THUDM/CogVideoX1.5-5B-I2V"),
    TINY("tiny", "cogvideox-java/tiny-random");

    private final String id;
    private final String hubId;

    Variant(String id, String hubId) {
        this.id = id;
        this.hubId = hubId;
    }

    public String id() {
        return id;
    }

    public String hubId() {
        return hubId;
    }

    public static Variant of(String id) {
        return Arrays.stream(values()).filter(v -> v.id.equals(id)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "unknown variant '" + id + "'; one of " + Arrays.stream(values()).map(Variant::id).toList()));
    }

    public boolean isImageToVideo() {
        return this == COGVIDEOX_5B_I2V || this == COGVIDEOX15_5B_I2V;
    }

    public boolean is15() {
        return this == COGVIDEOX15_5B || this == COGVIDEOX15_5B_I2V;
    }

    /** {@code transformer/config.json} with the published values. */
    public Map<String, Object> transformerConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("_class_name", "CogVideoXTransformer3DModel");
        c.put("_diffusers_version", "0.40.0");
        c.put("activation_fn", "gelu-approximate");
        c.put("attention_bias", true);
        c.put("attention_head_dim", this == TINY ? 16 : 64);
        c.put("dropout", 0.0);
        c.put("flip_sin_to_cos", true);
        c.put("freq_shift", 0);
        c.put("in_channels", isImageToVideo() ? 32 : 16);
        c.put("max_text_seq_length", this == TINY ? 16 : 226);
        c.put("norm_elementwise_affine", true);
        c.put("norm_eps", 1e-5);
        c.put("num_attention_heads", switch (this) {
            case COGVIDEOX_2B -> 30;
            case TINY -> 2;
            default -> 48;
        });
        c.put("num_layers", switch (this) {
            case COGVIDEOX_2B -> 30;
            case TINY -> 2;
            default -> 42;
        });
        c.put("ofs_embed_dim", this == COGVIDEOX15_5B_I2V ? 512 : null);
        c.put("out_channels", 16);
        c.put("patch_bias", !is15());
        c.put("patch_size", 2);
        c.put("patch_size_t", is15() ? 2 : null);
        c.put("sample_frames", is15() ? 81 : this == TINY ? 9 : 49);
        c.put("sample_height", is15() ? 300 : this == TINY ? 8 : 60);
        c.put("sample_width", is15() ? 300 : this == TINY ? 8 : 90);
        c.put("spatial_interpolation_scale", 1.875);
        c.put("temporal_compression_ratio", 4);
        c.put("temporal_interpolation_scale", 1.0);
        c.put("text_embed_dim", this == TINY ? 32 : 4096);
        c.put("time_embed_dim", this == TINY ? 32 : 512);
        c.put("timestep_activation_fn", "silu");
        c.put("use_learned_positional_embeddings", this == COGVIDEOX_5B_I2V);
        c.put("use_rotary_positional_embeddings", this != COGVIDEOX_2B);
        return c;
    }

    /** {@code vae/config.json}: the published VAE (scaling 1.15258426 for 2b, 0.7 otherwise; inverted for 1.5). */
    public Map<String, Object> vaeConfig() {
        boolean tiny = this == TINY;
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("_class_name", "AutoencoderKLCogVideoX");
        c.put("_diffusers_version", "0.40.0");
        c.put("act_fn", "silu");
        c.put("block_out_channels", tiny ? new int[]{8, 8, 16, 16} : new int[]{128, 256, 256, 512});
        c.put("down_block_types", new String[]{"CogVideoXDownBlock3D", "CogVideoXDownBlock3D", "CogVideoXDownBlock3D", "CogVideoXDownBlock3D"});
        c.put("force_upcast", true);
        c.put("in_channels", 3);
        c.put("invert_scale_latents", is15());
        c.put("latent_channels", 16);
        c.put("latents_mean", null);
        c.put("latents_std", null);
        c.put("layers_per_block", tiny ? 1 : 3);
        c.put("norm_eps", 1e-6);
        c.put("norm_num_groups", tiny ? 4 : 32);
        c.put("out_channels", 3);
        c.put("sample_height", tiny ? 64 : 480);
        c.put("sample_width", tiny ? 64 : 720);
        c.put("scaling_factor", this == COGVIDEOX_2B ? 1.15258426 : 0.7);
        c.put("shift_factor", null);
        c.put("temporal_compression_ratio", 4);
        c.put("up_block_types", new String[]{"CogVideoXUpBlock3D", "CogVideoXUpBlock3D", "CogVideoXUpBlock3D", "CogVideoXUpBlock3D"});
        c.put("use_post_quant_conv", false);
        c.put("use_quant_conv", false);
        return c;
    }

    /** {@code text_encoder/config.json}: T5 v1.1 XXL encoder (d_model 4096, 24 layers), or a 2-layer one for TINY. */
    public Map<String, Object> textEncoderConfig() {
        boolean tiny = this == TINY;
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", new String[]{"T5EncoderModel"});
        c.put("d_ff", tiny ? 64 : 10240);
        c.put("d_kv", tiny ? 8 : 64);
        c.put("d_model", tiny ? 32 : 4096);
        c.put("dense_act_fn", "gelu_new");
        c.put("eos_token_id", 1);
        c.put("feed_forward_proj", "gated-gelu");
        c.put("is_gated_act", true);
        c.put("layer_norm_epsilon", 1e-6);
        c.put("model_type", "t5");
        c.put("num_heads", tiny ? 4 : 64);
        c.put("num_layers", tiny ? 2 : 24);
        c.put("pad_token_id", 0);
        c.put("relative_attention_max_distance", 128);
        c.put("relative_attention_num_buckets", 32);
        c.put("tie_word_embeddings", false);
        c.put("vocab_size", tiny ? SentencePieceModelWriter.vocabSize(SentencePieceModelWriter.WORDS) : 32128);
        return c;
    }

    /** {@code tokenizer/tokenizer_config.json}: T5Tokenizer with 100 extra ids, legacy behaviour. */
    public Map<String, Object> tokenizerConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("eos_token", "</s>");
        c.put("extra_ids", 100);
        c.put("legacy", true);
        c.put("model_max_length", this == TINY ? 16 : 226);
        c.put("pad_token", "<pad>");
        c.put("tokenizer_class", "T5Tokenizer");
        c.put("unk_token", "<unk>");
        return c;
    }

    /** {@code scheduler/scheduler_config.json}: DDIM with SNR shift 3 for 2b, DPM with shift 1 otherwise. */
    public Map<String, Object> schedulerConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("_class_name", schedulerClass());
        c.put("_diffusers_version", "0.40.0");
        c.put("beta_end", 0.012);
        c.put("beta_schedule", "scaled_linear");
        c.put("beta_start", 0.00085);
        c.put("clip_sample", false);
        c.put("clip_sample_range", 1.0);
        c.put("num_train_timesteps", 1000);
        c.put("prediction_type", "v_prediction");
        c.put("rescale_betas_zero_snr", true);
        c.put("sample_max_value", 1.0);
        c.put("set_alpha_to_one", true);
        c.put("snr_shift_scale", this == COGVIDEOX_2B ? 3.0 : 1.0);
        c.put("steps_offset", 0);
        c.put("timestep_spacing", "trailing");
        c.put("trained_betas", null);
        return c;
    }

    public String schedulerClass() {
        return this == COGVIDEOX_2B ? "CogVideoXDDIMScheduler" : "CogVideoXDPMScheduler";
    }

    public String pipelineClass() {
        return isImageToVideo() ? "CogVideoXImageToVideoPipeline" : "CogVideoXPipeline";
    }

    /** {@code model_index.json}. */
    public Map<String, Object> modelIndex() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("_class_name", pipelineClass());
        c.put("_diffusers_version", "0.40.0");
        c.put("scheduler", new String[]{"diffusers", schedulerClass()});
        c.put("text_encoder", new String[]{"transformers", "T5EncoderModel"});
        c.put("tokenizer", new String[]{"transformers", "T5Tokenizer"});
        c.put("transformer", new String[]{"diffusers", "CogVideoXTransformer3DModel"});
        c.put("vae", new String[]{"diffusers", "AutoencoderKLCogVideoX"});
        return c;
    }
}
