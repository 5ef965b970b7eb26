package dev.cogvideox.model.transformer;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.nn.LayerNorm;
import dev.cogvideox.model.nn.Linear;
import dev.cogvideox.tensor.Attention;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Rope;
import dev.cogvideox.tensor.Tensor;

/**
 * diffusers' {@code CogVideoXBlock}: expert AdaLN ({@code CogVideoXLayerNormZero}: one LayerNorm, separate
 * modulation for text and video), full 3D attention over [text; video] with per-head q/k LayerNorm and RoPE on
 * the video tokens, and a GELU(tanh) feed-forward over [text; video].
 */
public final class CogVideoXBlock {
    private final int dim;
    private final int heads;
    private final Linear norm1Linear, norm2Linear;
    private final LayerNorm norm1, norm2;
    private final Linear toQ, toK, toV, toOut;
    private final LayerNorm normQ, normK;
    private final Linear ffIn, ffOut;

    public CogVideoXBlock(CogVideoXTransformerConfig cfg, WeightStore store, int index) {
        String p = "transformer_blocks." + index + ".";
        this.dim = cfg.innerDim();
        this.heads = cfg.numAttentionHeads();
        int headDim = cfg.attentionHeadDim();
        boolean affine = cfg.normElementwiseAffine();
        this.norm1Linear = Linear.load(store, p + "norm1.linear", cfg.timeEmbedDim(), 6 * dim, true);
        this.norm1 = LayerNorm.load(store, p + "norm1.norm", dim, affine, cfg.normEps());
        this.toQ = Linear.load(store, p + "attn1.to_q", dim, dim, cfg.attentionBias());
        this.toK = Linear.load(store, p + "attn1.to_k", dim, dim, cfg.attentionBias());
        this.toV = Linear.load(store, p + "attn1.to_v", dim, dim, cfg.attentionBias());
        this.toOut = Linear.load(store, p + "attn1.to_out.0", dim, dim, true);
        this.normQ = LayerNorm.load(store, p + "attn1.norm_q", headDim, true, 1e-6);
        this.normK = LayerNorm.load(store, p + "attn1.norm_k", headDim, true, 1e-6);
        this.norm2Linear = Linear.load(store, p + "norm2.linear", cfg.timeEmbedDim(), 6 * dim, true);
        this.norm2 = LayerNorm.load(store, p + "norm2.norm", dim, affine, cfg.normEps());
        this.ffIn = Linear.load(store, p + "ff.net.0.proj", dim, 4 * dim, true);
        this.ffOut = Linear.load(store, p + "ff.net.2", 4 * dim, dim, true);
    }

    /** The block's outputs: the updated video and text streams. */
    public record Output(Tensor hidden, Tensor encoder) {
    }

    /**
     * @param hidden  video tokens {@code [B, N, D]}
     * @param encoder text tokens {@code [B, T, D]}
     * @param siluTemb {@code silu(temb) [B, time_embed_dim]}
     * @param rope    RoPE table for the N video tokens, or null
     */
    public Output forward(Tensor hidden, Tensor encoder, Tensor siluTemb, Embeddings.RotaryTable rope) {
        int b = hidden.dim(0), n = hidden.dim(1), t = encoder.dim(1);
        hidden = hidden.copy();
        encoder = encoder.copy();

        // 1. norm1: shift, scale, gate, enc_shift, enc_scale, enc_gate = linear(silu(temb)).chunk(6)
        Tensor[] m1 = chunk(norm1Linear.forward(siluTemb), 6);                          // 6 x [B, D]
        Tensor normHidden = norm1.forward(hidden);                                     // [B, N, D]
        Ops.modulateInPlace(normHidden, m1[1], m1[0]);
        Tensor normEncoder = norm1.forward(encoder);                                   // [B, T, D]
        Ops.modulateInPlace(normEncoder, m1[4], m1[3]);

        // 2. attention over [text; video]
        Tensor x = Layout.cat(1, normEncoder, normHidden);                             // [B, T + N, D]
        Tensor attn = toOut.forward(attention(x, t, rope));                            // [B, T + N, D]
        Ops.addGatedInPlace(hidden, m1[2], Layout.narrow(attn, 1, t, n));
        Ops.addGatedInPlace(encoder, m1[5], Layout.narrow(attn, 1, 0, t));

        // 3. norm2 and the feed-forward over [text; video]
        Tensor[] m2 = chunk(norm2Linear.forward(siluTemb), 6);
        normHidden = norm2.forward(hidden);
        Ops.modulateInPlace(normHidden, m2[1], m2[0]);
        normEncoder = norm2.forward(encoder);
        Ops.modulateInPlace(normEncoder, m2[4], m2[3]);
        x = Layout.cat(1, normEncoder, normHidden);                                    // [B, T + N, D]
        Tensor ff = ffOut.forward(Ops.geluTanh(ffIn.forward(x)));                      // [B, T + N, D]
        Ops.addGatedInPlace(hidden, m2[2], Layout.narrow(ff, 1, t, n));
        Ops.addGatedInPlace(encoder, m2[5], Layout.narrow(ff, 1, 0, t));
        return new Output(hidden, encoder);
    }

    /** {@code CogVideoXAttnProcessor2_0} up to (not including) {@code to_out}: {@code [B, T + N, D] -> [B, T + N, D]}. */
    private Tensor attention(Tensor x, int textLen, Embeddings.RotaryTable rope) {
        int b = x.dim(0), l = x.dim(1);
        int headDim = dim / heads;
        Tensor q = normQ.forward(toQ.forward(x).reshape(b, l, heads, headDim)).reshape(b, l, dim);
        Tensor k = normK.forward(toK.forward(x).reshape(b, l, heads, headDim)).reshape(b, l, dim);
        Tensor v = toV.forward(x);
        if (rope != null) {
            // RoPE on the video tokens only, after the q/k LayerNorm (semantics.md).
            Rope.applyInPlace(q, heads, textLen, rope.cos(), rope.sin());
            Rope.applyInPlace(k, heads, textLen, rope.cos(), rope.sin());
        }
        return Attention.attend(q, k, v, heads, (float) (1.0 / Math.sqrt(headDim)), null);
    }

    private Tensor[] chunk(Tensor m, int parts) {
        Tensor[] r = new Tensor[parts];
        for (int i = 0; i < parts; i++) {
            r[i] = Layout.narrow(m, 1, i * dim, dim);
        }
        return r;
    }
}
