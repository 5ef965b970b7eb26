package dev.cogvideox.model.transformer;

import dev.cogvideox.io.JsonConfig;
import dev.cogvideox.io.ModelFormatException;

import java.nio.file.Path;

import static dev.cogvideox.io.ConfigRange.intIn;
import static dev.cogvideox.io.ConfigRange.multipleOf;
import static dev.cogvideox.io.ConfigRange.positive;

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

    /** Upper bound of {@code max_text_seq_length}: T5's attention over the prompt grows with its square (226 published). */
    public static final int MAX_TEXT_SEQ_LENGTH = 2048;
    /** Upper bound of the video tokens at the trained size ({@code sample_*}), which size the position tables. */
    public static final long MAX_TRAINED_TOKENS = 1L << 20;

    public CogVideoXTransformerConfig {
        intIn("num_attention_heads", numAttentionHeads, 1, 1024, "attention heads per block; 30 (2b) or 48 (5b, 1.5)");
        intIn("attention_head_dim", attentionHeadDim, 8, 1024, "channels per head; 64 in the published models");
        multipleOf("attention_head_dim", attentionHeadDim, 8, "", "3D RoPE splits a head into 2/8, 3/8, 3/8");
        intIn("num_attention_heads x attention_head_dim", numAttentionHeads * attentionHeadDim, 8, 65536, "the transformer width");
        intIn("out_channels", outChannels, 1, 1024, "latent channels the transformer predicts; 16, the VAE's latent_channels");
        if (inChannels != outChannels && inChannels != 2 * outChannels) {
            throw new IllegalArgumentException("key 'in_channels' is " + inChannels + ", allowed " + outChannels + " (out_channels: text-to-video) or "
                    + 2 * outChannels + " (2 x out_channels: image-to-video)");
        }
        intIn("time_embed_dim", timeEmbedDim, 1, 65536, "width of the timestep embedding; 512");
        if (ofsEmbedDim != null) {
            intIn("ofs_embed_dim", ofsEmbedDim, 1, 65536, "width of the 1.5 image-to-video ofs embedding; 512, or null");
        }
        intIn("text_embed_dim", textEmbedDim, 1, 65536, "width of the T5 embeddings; 4096 (T5-XXL d_model)");
        intIn("num_layers", numLayers, 1, 1000, "transformer blocks; 30 (2b) or 42 (5b, 1.5)");
        intIn("patch_size", patchSize, 1, 64, "latent pixels per token side; 2");
        if (patchSizeT != null) {
            intIn("patch_size_t", patchSizeT, 1, 64, "latent frames per token; 2 in the 1.5 models, null before");
        }
        intIn("sample_height", sampleHeight, patchSize, 1024, "the trained height in latent pixels (video height / 8); 60, 96 for 1.5");
        intIn("sample_width", sampleWidth, patchSize, 1024, "the trained width in latent pixels (video width / 8); 90, 170 for 1.5");
        intIn("temporal_compression_ratio", temporalCompressionRatio, 1, 64, "video frames per latent frame; 4");
        intIn("sample_frames", sampleFrames, 1, 4096, "the trained frame count; 49, 81 for 1.5");
        intIn("max_text_seq_length", maxTextSeqLength, 1, MAX_TEXT_SEQ_LENGTH, "prompt tokens; 226 in the published models");
        long trainedTokens = (long) (sampleHeight / patchSize) * (sampleWidth / patchSize) * ((sampleFrames - 1) / temporalCompressionRatio + 1);
        if (trainedTokens > MAX_TRAINED_TOKENS || (maxTextSeqLength + trainedTokens) * numAttentionHeads * attentionHeadDim > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("keys 'sample_height' " + sampleHeight + ", 'sample_width' " + sampleWidth + " and 'sample_frames' "
                    + sampleFrames + " make " + trainedTokens + " video tokens at the trained size, whose position tables would not fit one heap "
                    + "array; allowed up to " + MAX_TRAINED_TOKENS + " tokens, and (tokens + max_text_seq_length) x the transformer width "
                    + "below 2^31 (the published models have 17,550 to 85,680 tokens)");
        }
        positive("norm_eps", normEps, 1, "the LayerNorms' epsilon; 1e-5");
        positive("spatial_interpolation_scale", spatialInterpolationScale, 1e6, "sin/cos position scale; 1.875");
        positive("temporal_interpolation_scale", temporalInterpolationScale, 1e6, "sin/cos position scale; 1.0");
        if (!useRotaryPositionalEmbeddings && useLearnedPositionalEmbeddings) {
            throw new IllegalArgumentException("use_learned_positional_embeddings needs use_rotary_positional_embeddings (as in diffusers)");
        }
        if (!"gelu-approximate".equals(activationFn)) {
            throw new IllegalArgumentException("key 'activation_fn' is '" + activationFn + "', only 'gelu-approximate' is supported (every CogVideoX model)");
        }
        if (!"silu".equals(timestepActivationFn)) {
            throw new IllegalArgumentException("key 'timestep_activation_fn' is '" + timestepActivationFn + "', only 'silu' is supported (every CogVideoX model)");
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
