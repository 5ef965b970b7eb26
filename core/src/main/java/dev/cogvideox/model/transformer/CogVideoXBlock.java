package dev.cogvideox.model.transformer;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.ProcessGroup;
import dev.cogvideox.model.Tape;
import dev.cogvideox.model.nn.LayerNorm;
import dev.cogvideox.model.nn.Linear;
import dev.cogvideox.tensor.Kernels;
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
    /** Token rows per feed-forward slab: 4096 x 4D floats is 126 MB for the 2b, 201 MB for the 5b. */
    private static final int FF_CHUNK = 4096;

    private final int index;
    private final int dim;
    private final int heads;
    private final Linear norm1Linear, norm2Linear;
    private final LayerNorm norm1, norm2;
    private final Linear toQ, toK, toV, toOut;
    private final LayerNorm normQ, normK;
    private final Linear ffIn, ffOut;
    private final Kernels kernels;

    public CogVideoXBlock(CogVideoXTransformerConfig cfg, WeightStore store, int index) {
        String p = "transformer_blocks." + index + ".";
        this.index = index;
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
        this.kernels = store.kernels();
    }

    /** The block's outputs: the updated video and text streams. */
    public record Output(Tensor hidden, Tensor encoder) {
    }

    /**
     * The block on separate streams, as diffusers calls it.
     *
     * @param hidden  video tokens {@code [B, N, D]}
     * @param encoder text tokens {@code [B, T, D]}
     * @param siluTemb {@code silu(temb) [B, time_embed_dim]}
     * @param rope    RoPE table for the N video tokens, or null
     */
    public Output forward(Tensor hidden, Tensor encoder, Tensor siluTemb, Embeddings.RotaryTable rope) {
        return forward(hidden, encoder, siluTemb, rope, ProcessGroup.SINGLE);
    }

    /**
     * {@link #forward(Tensor, Tensor, Tensor, Embeddings.RotaryTable)} with the tokens split over the ranks of
     * {@code sequence} (Ulysses sequence parallel): every rank passes the whole streams, computes its slice, and gets
     * the whole result.
     */
    public Output forward(Tensor hidden, Tensor encoder, Tensor siluTemb, Embeddings.RotaryTable rope, ProcessGroup sequence) {
        int t = encoder.dim(1), n = hidden.dim(1);
        Tensor x = Layout.cat(1, encoder, hidden);                                    // [B, T + N, D]
        SequenceParallel seq = new SequenceParallel(sequence, t, t + n, heads);
        Tensor local = seq.slice(x);
        forwardInPlace(local, seq.localTextLen(), siluTemb, seq.rope(rope), StepCache.NONE, Tape.NONE, seq);
        x = seq.gather(local);
        return new Output(Layout.narrow(x, 1, t, n), Layout.narrow(x, 1, 0, t));
    }

    /**
     * The block on the joint stream {@code x [B, T + N, D]} (text first), updated in place. Text and video tokens
     * share every weight but the modulation (expert AdaLN): tokens before {@code textLen} take the enc_* chunks.
     */
    public void forwardInPlace(Tensor x, int textLen, Tensor siluTemb, Embeddings.RotaryTable rope) {
        forwardInPlace(x, textLen, siluTemb, rope, StepCache.NONE, Tape.NONE);
    }

    /**
     * {@link #forwardInPlace(Tensor, int, Tensor, Embeddings.RotaryTable)} that leaves on {@code tape} what the
     * backward needs: a {@link Saved} when recording, a {@link Checkpoint} (the input only) when checkpointing.
     */
    public void forwardInPlace(Tensor x, int textLen, Tensor siluTemb, Embeddings.RotaryTable rope, Tape tape) {
        forwardInPlace(x, textLen, siluTemb, rope, StepCache.NONE, tape);
    }

    /** {@link #forwardInPlace(Tensor, int, Tensor, Embeddings.RotaryTable)} taking its attention output from {@code cache} when it has one. */
    public void forwardInPlace(Tensor x, int textLen, Tensor siluTemb, Embeddings.RotaryTable rope, StepCache cache) {
        forwardInPlace(x, textLen, siluTemb, rope, cache, Tape.NONE);
    }

    private void forwardInPlace(Tensor x, int textLen, Tensor siluTemb, Embeddings.RotaryTable rope, StepCache cache, Tape tape) {
        forwardInPlace(x, textLen, siluTemb, rope, cache, tape, new SequenceParallel(ProcessGroup.SINGLE, textLen, x.dim(1), heads));
    }

    /**
     * The block on this rank's slice {@code x [B, s, D]} of the joint stream ({@code textLen} its text tokens, {@code rope}
     * the table of its video tokens); attention exchanges with the other ranks of {@code seq} (the whole stream on one rank).
     */
    void forwardInPlace(Tensor x, int textLen, Tensor siluTemb, Embeddings.RotaryTable rope, StepCache cache, Tape tape,
                        SequenceParallel seq) {
        if (tape.isCheckpointing()) {
            tape.push(this, new Checkpoint(x.copy(), textLen, siluTemb, rope));
            tape = Tape.NONE;
        }
        Tensor input = tape.keep(x);

        // 1. norm1: shift, scale, gate, enc_shift, enc_scale, enc_gate = linear(silu(temb)).chunk(6)
        Tensor mod1 = norm1Linear.forward(siluTemb);                                  // [B, 6D]
        Modulation m1 = Modulation.of(mod1, dim);
        Tensor normed = norm1.forward(x);                                             // [B, T + N, D]
        Ops.modulateSegmentsInPlace(normed, textLen, m1.encScale(), m1.encShift(), m1.scale(), m1.shift());

        // 2. attention over [text; video], gated residual
        // (a recording forward runs dense attention: its backward assumes it; the model refuses a cache then)
        Attended att = null;
        Tensor attn = cache.reusedAttention(index);
        if (attn == null) {
            att = attention(normed, textLen, rope, cache, seq);
            attn = toOut.forward(att.out());                                          // [B, T + N, D]
            cache.attentionComputed(index, attn);
        }
        Ops.addGatedSegmentsInPlace(x, textLen, m1.encGate(), m1.gate(), attn.data(), 0, x.dim(0) * x.dim(1));
        Tensor hidden1 = tape.keep(x);

        // 3. norm2, then the feed-forward over [text; video]
        Tensor mod2 = norm2Linear.forward(siluTemb);
        Modulation m2 = Modulation.of(mod2, dim);
        Tensor attnInput = normed;
        normed = norm2.forward(x);
        Ops.modulateSegmentsInPlace(normed, textLen, m2.encScale(), m2.encShift(), m2.scale(), m2.shift());
        if (!tape.isRecording() && ffIn.adapter() == null && ffOut.adapter() == null) {
            feedForward(x, normed, textLen, m2.encGate(), m2.gate());
            return;
        }
        Tensor ffHidden = ffIn.forward(normed);                                       // [B, T + N, 4D], whole: kept
        Tensor ffAct = Ops.geluTanh(ffHidden);
        Tensor ff = ffOut.forward(ffAct);                                             // [B, T + N, D]
        Ops.addGatedSegmentsInPlace(x, textLen, m2.encGate(), m2.gate(), ff.data(), 0, x.dim(0) * x.dim(1));
        tape.push(this, new Saved(textLen, rope, siluTemb, input, mod1, attnInput, att.qProj(), att.kProj(), att.q(), att.k(),
                att.v(), att.out(), attn, hidden1, mod2, normed, ffHidden, ffAct, ff));
    }

    /**
     * What a recording forward keeps for the backward pass, by the reference's names: the input {@code x} and
     * {@code hidden1} (x after the attention residual), the modulations {@code [B, 6D]} (chunks: {@link Modulation}),
     * the attention's input, projections before ({@code qProj, kProj}) and after the q/k LayerNorm and RoPE
     * ({@code q, k}), {@code v}, its output before and after {@code to_out}, and the feed-forward's input, hidden
     * layer before and after the GELU, and output.
     */
    public record Saved(int textLen, Embeddings.RotaryTable rope, Tensor siluTemb, Tensor input, Tensor mod1,
                        Tensor attnInput, Tensor qProj, Tensor kProj, Tensor q, Tensor k, Tensor v, Tensor attnOut, Tensor attn,
                        Tensor hidden1, Tensor mod2, Tensor ffInput, Tensor ffHidden, Tensor ffAct, Tensor ff) {
    }

    /** What a checkpointing forward keeps: the block's input, to run the forward again during the backward pass. */
    public record Checkpoint(Tensor input, int textLen, Tensor siluTemb, Embeddings.RotaryTable rope) {
    }

    private record Attended(Tensor qProj, Tensor kProj, Tensor q, Tensor k, Tensor v, Tensor out) {
    }

    /**
     * {@code x += gate * ff(normed)} a slab of tokens at a time: every row is independent (and the matrix product's
     * sums do not depend on the row count), so chunking gives the same numbers while the 4D-wide intermediate stays
     * at {@link #FF_CHUNK} rows instead of the whole sequence (diffusers' forward chunking).
     */
    private void feedForward(Tensor x, Tensor normed, int textLen, Tensor textGate, Tensor videoGate) {
        int rows = x.dim(0) * x.dim(1), inner = ffIn.outFeatures();
        int chunk = Math.min(FF_CHUNK, rows);
        float[] hidden = new float[chunk * inner];
        float[] out = new float[chunk * dim];
        float[] bIn = ffIn.bias().toTensor().data(), bOut = ffOut.bias().toTensor().data();
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int n = Math.min(chunk, rows - r0);
            kernels.gemm(normed.data(), r0 * dim, n, dim, ffIn.weight(), bIn, hidden, 0);         // [n, 4D]
            Ops.geluTanhInPlace(hidden, n * inner);
            kernels.gemm(hidden, 0, n, inner, ffOut.weight(), bOut, out, 0);                    // [n, D]
            Ops.addGatedSegmentsInPlace(x, textLen, textGate, videoGate, out, r0, n);
        }
    }

    /**
     * {@code CogVideoXAttnProcessor2_0} up to (not including) {@code to_out}: {@code [B, s, D] -> [B, s, D]} on this
     * rank's slice of the stream; the attention itself runs on every token of this rank's heads (Ulysses).
     */
    private Attended attention(Tensor x, int textLen, Embeddings.RotaryTable rope, StepCache cache, SequenceParallel seq) {
        int b = x.dim(0), l = x.dim(1);
        int headDim = dim / heads;
        Tensor qProj = toQ.forward(x), kProj = toK.forward(x);
        Tensor q = normQ.forward(qProj.reshape(b, l, heads, headDim)).reshape(b, l, dim);
        Tensor k = normK.forward(kProj.reshape(b, l, heads, headDim)).reshape(b, l, dim);
        Tensor v = toV.forward(x);
        if (rope != null) {
            // RoPE on the video tokens only, after the q/k LayerNorm (semantics.md).
            Rope.applyInPlace(q, heads, textLen, rope.cos(), rope.sin());
            Rope.applyInPlace(k, heads, textLen, rope.cos(), rope.sin());
        }
        // this rank's tokens of every head -> every token of this rank's heads, and back after (identity on one rank)
        Tensor qh = seq.toHeads(q), kh = seq.toHeads(k), vh = seq.toHeads(v);
        int localHeads = seq.localHeads();
        Tensor out = kernels.attend(qh, kh, vh, localHeads, attentionScale(), null,
                cache.attentionKeys(kernels, index, qh, kh, vh, localHeads, seq.textLen()));
        return new Attended(qProj, kProj, q, k, v, seq.toTokens(out));
    }

    /** {@code 1 / sqrt(head_dim)}. */
    public float attentionScale() {
        return (float) (1.0 / Math.sqrt((double) dim / heads));
    }

    public int heads() {
        return heads;
    }

    /** The block's layers, for the training backward pass. */
    public record Layers(Linear norm1Linear, LayerNorm norm1, Linear toQ, Linear toK, Linear toV, Linear toOut,
                         LayerNorm normQ, LayerNorm normK, Linear norm2Linear, LayerNorm norm2, Linear ffIn, Linear ffOut) {
    }

    public Layers layers() {
        return new Layers(norm1Linear, norm1, toQ, toK, toV, toOut, normQ, normK, norm2Linear, norm2, ffIn, ffOut);
    }

    /** The attention projections by their diffusers names ({@code to_q}, {@code to_k}, {@code to_v}, {@code to_out.0}). */
    public Linear attentionProjection(String name) {
        return switch (name) {
            case "to_q" -> toQ;
            case "to_k" -> toK;
            case "to_v" -> toV;
            case "to_out.0" -> toOut;
            default -> throw new IllegalArgumentException("no attention projection attn1." + name);
        };
    }
}
