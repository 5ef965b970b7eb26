package dev.cogvideox.model.text;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.nn.Linear;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Tensor;

/**
 * {@code T5Attention} of the encoder (bidirectional self-attention): {@code o(softmax(q k^T + bias) v)} with NO
 * {@code 1/sqrt(d)} scaling (T5 folds it into the weights). Block 0 owns {@code relative_attention_bias}
 * {@code [num_buckets, heads]}, from which {@link #computeBias} makes the position bias every block reuses.
 */
final class T5Attention {
    private final T5Config config;
    private final Linear q, k, v, o;
    /** {@code [num_buckets, heads]} in block 0, null elsewhere. */
    private final Tensor relativeAttentionBias;
    private final Kernels kernels;

    private T5Attention(T5Config config, Linear q, Linear k, Linear v, Linear o, Tensor relativeAttentionBias, Kernels kernels) {
        this.config = config;
        this.kernels = kernels;
        this.q = q;
        this.k = k;
        this.v = v;
        this.o = o;
        this.relativeAttentionBias = relativeAttentionBias;
    }

    static T5Attention load(WeightStore store, String prefix, T5Config config, boolean hasRelativeAttentionBias) {
        int d = config.dModel(), inner = config.innerDim();
        Tensor bias = hasRelativeAttentionBias
                ? store.tensor(prefix + ".relative_attention_bias.weight", config.relativeAttentionNumBuckets(), config.numHeads())
                : null;
        return new T5Attention(config, Linear.load(store, prefix + ".q", d, inner, false), Linear.load(store, prefix + ".k", d, inner, false),
                Linear.load(store, prefix + ".v", d, inner, false), Linear.load(store, prefix + ".o", inner, d, false), bias, store.kernels());
    }

    /**
     * {@code hidden [B, L, d_model]} with {@code positionBias [1 or B, H, L, L]} (one bias for the whole batch, or
     * one per sample when a padding mask was folded in) {@code -> [B, L, d_model]}.
     */
    Tensor forward(Tensor hidden, Tensor positionBias) {
        int b = hidden.dim(0), l = hidden.dim(1), heads = config.numHeads();
        Tensor qs = q.forward(hidden);                                      // [B, L, H*d_kv]
        Tensor ks = k.forward(hidden);                                      // [B, L, H*d_kv]
        Tensor vs = v.forward(hidden);                                      // [B, L, H*d_kv]
        Tensor attn;
        if (positionBias.dim(0) == 1) {
            attn = kernels.attend(qs, ks, vs, heads, 1f, positionBias.reshape(heads, l, l), null);  // [B, L, H*d_kv]
        } else {
            attn = Tensor.zeros(qs.shape());
            for (int i = 0; i < b; i++) {
                Tensor bias = Layout.narrow(positionBias, 0, i, 1).reshape(heads, l, l);        // [H, L, L]
                Layout.paste(attn, 0, i, kernels.attend(Layout.narrow(qs, 0, i, 1), Layout.narrow(ks, 0, i, 1),
                        Layout.narrow(vs, 0, i, 1), heads, 1f, bias, null));                           // [1, L, H*d_kv]
            }
        }
        return o.forward(attn);                                             // [B, L, d_model]
    }

    /**
     * {@code compute_bias(L, L)}: {@code relative_attention_bias[bucket(key - query)]} as {@code [1, H, L, L]}.
     */
    Tensor computeBias(int length) {
        if (relativeAttentionBias == null) {
            throw new IllegalStateException("only the first block's attention has relative_attention_bias");
        }
        int heads = config.numHeads();
        int[][] buckets = relativePositionBuckets(length, config);
        Tensor bias = Tensor.zeros(1, heads, length, length);
        float[] out = bias.data(), table = relativeAttentionBias.data();
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < length; i++) {
                for (int j = 0; j < length; j++) {
                    out[(h * length + i) * length + j] = table[buckets[i][j] * heads + h];
                }
            }
        }
        return bias;
    }

    /** Buckets {@code [query, key]} of {@code key_pos - query_pos} for a sequence of {@code length} tokens. */
    static int[][] relativePositionBuckets(int length, T5Config config) {
        int[][] buckets = new int[length][length];
        for (int i = 0; i < length; i++) {
            for (int j = 0; j < length; j++) {
                buckets[i][j] = relativePositionBucket(j - i, config.relativeAttentionNumBuckets(), config.relativeAttentionMaxDistance());
            }
        }
        return buckets;
    }

    /**
     * {@code _relative_position_bucket(n, bidirectional=True)}: half the buckets for keys after the query; within a
     * half, distances below {@code num_buckets / 4} are exact and larger ones share log-spaced buckets up to
     * {@code max_distance}. The log part is float32 arithmetic truncated toward zero, as torch computes it.
     */
    static int relativePositionBucket(int relativePosition, int numBuckets, int maxDistance) {
        int half = numBuckets / 2;
        int bucket = relativePosition > 0 ? half : 0;
        int n = Math.abs(relativePosition);
        int maxExact = half / 2;
        if (n < maxExact) {
            return bucket + n;
        }
        float logRatio = (float) Math.log((float) n / maxExact);
        float large = logRatio / (float) Math.log((double) maxDistance / maxExact) * (half - maxExact);
        return bucket + Math.min(maxExact + (int) large, half - 1);
    }
}
