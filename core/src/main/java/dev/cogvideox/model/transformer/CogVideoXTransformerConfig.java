package dev.cogvideox.model.transformer;

import dev.cogvideox.io.JsonConfig;
import dev.cogvideox.io.ModelFormatException;

import java.nio.file.Path;

/**
 * {@code transformer/config.json} of CogVideoXTransformer3DModel. The keys that fix the weight shapes are required
 * (a config without them is broken, whatever diffusers' constructor defaults say); the others take the reference
 * defaults; unknown keys are ignored. Sizes in latent
 * units: {@code sampleHeight/Width} are latent pixels (60 x 90 for 480 x 720 video); {@code sampleFrames} counts
 * video frames before temporal compression (49 means 13 latent frames).
 */
public record CogVideoXTransformerConfig(
        int numAttentionHeads, int attentionHeadDim, int inChannels, int outChannels,
        boolean flipSinToCos, int freqShift, int timeEmbedDim, Integer ofsEmbedDim, int textEmbedDim,
        int numLayers, boolean attentionBias, int sampleWidth, int sampleHeight, int sampleFrames,
        int patchSize, Integer patchSizeT, int temporalCompressionRatio, int maxTextSeqLength,
        String activationFn, String timestepActivationFn, boolean normElementwiseAffine, double normEps,
        double spatialInterpolationScale, double temporalInterpolationScale,
        boolean useRotaryPositionalEmbeddings, boolean useLearnedPositionalEmbeddings, boolean patchBias) {

    public CogVideoXTransformerConfig {
        if (numAttentionHeads <= 0 || attentionHeadDim <= 0 || attentionHeadDim % 8 != 0) {
            throw new IllegalArgumentException("num_attention_heads " + numAttentionHeads + " x attention_head_dim " + attentionHeadDim
                    + ": both must be positive and the head dim a multiple of 8 (3D RoPE splits it into 2/8, 3/8, 3/8)");
        }
        if (!useRotaryPositionalEmbeddings && useLearnedPositionalEmbeddings) {
            throw new IllegalArgumentException("use_learned_positional_embeddings needs use_rotary_positional_embeddings (as in diffusers)");
        }
        if (!"gelu-approximate".equals(activationFn)) {
            throw new IllegalArgumentException("activation_fn '" + activationFn + "' is not supported (only gelu-approximate)");
        }
        if (!"silu".equals(timestepActivationFn)) {
            throw new IllegalArgumentException("timestep_activation_fn '" + timestepActivationFn + "' is not supported (only silu)");
        }
    }

    public static CogVideoXTransformerConfig read(Path configJson) {
        JsonConfig c = JsonConfig.read(configJson);
        try {
            return new CogVideoXTransformerConfig(
                    c.requireInt("num_attention_heads"), c.requireInt("attention_head_dim"),
                    c.requireInt("in_channels"), c.getIntOrNull("out_channels") == null ? 16 : c.requireInt("out_channels"),
                    c.getBool("flip_sin_to_cos", true), c.getInt("freq_shift", 0), c.getInt("time_embed_dim", 512),
                    c.getIntOrNull("ofs_embed_dim"), c.requireInt("text_embed_dim"), c.requireInt("num_layers"),
                    c.getBool("attention_bias", true), c.getInt("sample_width", 90), c.getInt("sample_height", 60),
                    c.getInt("sample_frames", 49), c.getInt("patch_size", 2), c.getIntOrNull("patch_size_t"),
                    c.getInt("temporal_compression_ratio", 4), c.getInt("max_text_seq_length", 226),
                    c.getString("activation_fn", "gelu-approximate"), c.getString("timestep_activation_fn", "silu"),
                    c.getBool("norm_elementwise_affine", true), c.getDouble("norm_eps", 1e-5),
                    c.getDouble("spatial_interpolation_scale", 1.875), c.getDouble("temporal_interpolation_scale", 1.0),
                    c.getBool("use_rotary_positional_embeddings", false), c.getBool("use_learned_positional_embeddings", false),
                    c.getBool("patch_bias", true));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(configJson + ": " + e.getMessage(), e);
        }
    }

    public int innerDim() {
        return numAttentionHeads * attentionHeadDim;
    }

    /** Channels of one output token: {@code p * p * out} (1.0) or {@code p * p * p_t * out} (1.5). */
    public int patchOutputDim() {
        return patchSize * patchSize * (patchSizeT == null ? 1 : patchSizeT) * outChannels;
    }

    /** Which published variant this config describes (for messages and defaults). */
    public String variant() {
        if (patchSizeT != null) {
            return ofsEmbedDim != null ? "1.5-5b-i2v" : "1.5-5b";
        }
        if (!useRotaryPositionalEmbeddings) {
            return "2b";
        }
        return inChannels > outChannels ? "5b-i2v" : "5b";
    }
}
