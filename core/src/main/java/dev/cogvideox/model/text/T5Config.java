package dev.cogvideox.model.text;

import dev.cogvideox.io.JsonConfig;
import dev.cogvideox.io.ModelFormatException;

import java.nio.file.Path;

/**
 * {@code text_encoder/config.json} of a T5 encoder ({@code T5Config}), with transformers' defaults. Only the
 * T5 v1.1 feed-forward ({@code feed_forward_proj = "gated-gelu"}, i.e. gelu_new gating) is supported: it is
 * what CogVideoX's T5-XXL uses.
 */
public record T5Config(int vocabSize, int dModel, int dKv, int dFf, int numLayers, int numHeads,
                       int relativeAttentionNumBuckets, int relativeAttentionMaxDistance, double layerNormEpsilon,
                       String feedForwardProj) {
    public T5Config {
        if (vocabSize <= 0 || dModel <= 0 || dKv <= 0 || dFf <= 0 || numLayers <= 0 || numHeads <= 0) {
            throw new IllegalArgumentException("vocab_size, d_model, d_kv, d_ff, num_layers and num_heads must be positive");
        }
        if (relativeAttentionNumBuckets < 4 || relativeAttentionNumBuckets % 4 != 0 || relativeAttentionMaxDistance <= relativeAttentionNumBuckets / 4) {
            throw new IllegalArgumentException("relative_attention_num_buckets " + relativeAttentionNumBuckets + " (a positive multiple of 4) and "
                    + "relative_attention_max_distance " + relativeAttentionMaxDistance + " (above buckets / 4) do not make a bidirectional bucketing");
        }
        if (!"gated-gelu".equals(feedForwardProj)) {
            throw new IllegalArgumentException("feed_forward_proj '" + feedForwardProj + "' is not supported (only the T5 v1.1 'gated-gelu')");
        }
    }

    public static T5Config read(Path configJson) {
        JsonConfig c = JsonConfig.read(configJson);
        try {
            return new T5Config(c.getInt("vocab_size", 32128), c.getInt("d_model", 512), c.getInt("d_kv", 64), c.getInt("d_ff", 2048),
                    c.getInt("num_layers", 6), c.getInt("num_heads", 8), c.getInt("relative_attention_num_buckets", 32),
                    c.getInt("relative_attention_max_distance", 128), c.getDouble("layer_norm_epsilon", 1e-6),
                    c.getString("feed_forward_proj", "relu"));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(configJson + ": " + e.getMessage(), e);
        }
    }

    /** Width of the attention projections: {@code num_heads * d_kv}. */
    public int innerDim() {
        return numHeads * dKv;
    }
}
