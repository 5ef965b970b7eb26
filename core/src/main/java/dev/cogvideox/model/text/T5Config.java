package dev.cogvideox.model.text;

import dev.cogvideox.io.JsonConfig;
import dev.cogvideox.io.ModelFormatException;

import java.nio.file.Path;

import static dev.cogvideox.io.ConfigRange.intIn;
import static dev.cogvideox.io.ConfigRange.positive;

/**
 * {@code text_encoder/config.json} of a T5 encoder ({@code T5Config}), with transformers' defaults. Only the
 * T5 v1.1 feed-forward ({@code feed_forward_proj = "gated-gelu"}, i.e. gelu_new gating) is supported: it is
 * what CogVideoX's T5-XXL uses.
 */
public record T5Config(int vocabSize, int dModel, int dKv, int dFf, int numLayers, int numHeads,
                       int relativeAttentionNumBuckets, int relativeAttentionMaxDistance, double layerNormEpsilon,
                       String feedForwardProj) {
    public T5Config {
        intIn("vocab_size", vocabSize, 1, 1 << 20, "tokens of the embedding table; 32128");
        intIn("d_model", dModel, 1, 65536, "width of the encoder; 4096 (T5-XXL)");
        intIn("d_kv", dKv, 1, 4096, "channels per head; 64");
        intIn("d_ff", dFf, 1, 1 << 18, "width of the feed-forward; 10240 (T5-XXL)");
        intIn("num_layers", numLayers, 1, 1000, "encoder blocks; 24 (T5-XXL)");
        intIn("num_heads", numHeads, 1, 1024, "attention heads; 64 (T5-XXL)");
        intIn("num_heads x d_kv", numHeads * dKv, 1, 1 << 18, "the attention width");
        intIn("relative_attention_num_buckets", relativeAttentionNumBuckets, 4, 4096, "relative position buckets; 32");
        intIn("relative_attention_max_distance", relativeAttentionMaxDistance, 1, 1 << 20, "distance of the last bucket; 128");
        positive("layer_norm_epsilon", layerNormEpsilon, 1, "the RMS norms' epsilon; 1e-6");
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
