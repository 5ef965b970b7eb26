package dev.cogvideox.train.model;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.model.transformer.Embeddings;
import dev.cogvideox.tensor.Attention;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Rope;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.grad.ActivationGrad;
import dev.cogvideox.train.grad.AttentionGrad;
import dev.cogvideox.train.grad.ModulationGrad;
import dev.cogvideox.train.grad.RopeGrad;
import dev.cogvideox.train.grad.TokenSegments;

/**
 * Training twin of {@code CogVideoXBlock} ({@code transformer_blocks.<i>}): the same forward (expert AdaLN with one
 * shared LayerNorm, 3D attention over [text; video] with per-head q/k LayerNorm and RoPE on the video tokens,
 * GELU(tanh) feed-forward), returning a {@link Tape} of what {@link #backward} needs. The tokens are a packed
 * sequence of one or more clips ({@link Packing}): each clip is modulated by its own timestep and attends only to itself.
 */
public final class TrainBlock {
    /** Chunks of the {@code norm1/norm2.linear} output: shift, scale, gate, enc_shift, enc_scale, enc_gate. */
    private static final int SHIFT = 0, SCALE = 1, GATE = 2, ENC_SHIFT = 3, ENC_SCALE = 4, ENC_GATE = 5;

    private final int dim;
    private final int heads;
    private final TrainLinear norm1Linear, norm2Linear;
    private final TrainLayerNorm norm1, norm2;
    private final TrainLinear toQ, toK, toV, toOut;
    private final TrainLayerNorm normQ, normK;
    private final TrainLinear ffIn, ffOut;

    TrainBlock(CogVideoXTransformerConfig cfg, Parameters params, WeightStore store, int index) {
        String p = "transformer_blocks." + index + ".";
        this.dim = cfg.innerDim();
        this.heads = cfg.numAttentionHeads();
        int headDim = cfg.attentionHeadDim();
        boolean affine = cfg.normElementwiseAffine();
        this.norm1Linear = TrainLinear.load(params, store, p + "norm1.linear", cfg.timeEmbedDim(), 6 * dim, true);
        this.norm1 = TrainLayerNorm.load(params, store, p + "norm1.norm", dim, affine, cfg.normEps());
        this.normQ = TrainLayerNorm.load(params, store, p + "attn1.norm_q", headDim, true, 1e-6);
        this.normK = TrainLayerNorm.load(params, store, p + "attn1.norm_k", headDim, true, 1e-6);
        this.toQ = TrainLinear.load(params, store, p + "attn1.to_q", dim, dim, cfg.attentionBias());
        this.toK = TrainLinear.load(params, store, p + "attn1.to_k", dim, dim, cfg.attentionBias());
        this.toV = TrainLinear.load(params, store, p + "attn1.to_v", dim, dim, cfg.attentionBias());
        this.toOut = TrainLinear.load(params, store, p + "attn1.to_out.0", dim, dim, true);
        this.norm2Linear = TrainLinear.load(params, store, p + "norm2.linear", cfg.timeEmbedDim(), 6 * dim, true);
        this.norm2 = TrainLayerNorm.load(params, store, p + "norm2.norm", dim, affine, cfg.normEps());
        this.ffIn = TrainLinear.load(params, store, p + "ff.net.0.proj", dim, 4 * dim, true);
        this.ffOut = TrainLinear.load(params, store, p + "ff.net.2", 4 * dim, dim, true);
    }

    /** The attention projections by their diffusers names ({@code to_q}, {@code to_k}, {@code to_v}, {@code to_out.0}). */
    public TrainLinear attentionProjection(String name) {
        return switch (name) {
            case "to_q" -> toQ;
            case "to_k" -> toK;
            case "to_v" -> toV;
            case "to_out.0" -> toOut;
            default -> throw new IllegalArgumentException("no attention projection attn1." + name);
        };
    }

    /** The block's inputs, outputs and the intermediate tensors of its forward pass, by reference name. */
    public record Tape(Tensor hidden, Tensor encoder, Tensor siluTemb, Packing pack,
                       Tensor mod1, Tensor attnInput, Tensor qProj, Tensor kProj, Tensor q, Tensor k, Tensor v,
                       Tensor attnOut, Tensor attn, Tensor hidden1, Tensor encoder1,
                       Tensor mod2, Tensor ffInput, Tensor ffHidden, Tensor ffAct, Tensor ff,
                       Tensor outHidden, Tensor outEncoder) {
    }

    /**
     * @param hidden   video tokens of every clip {@code [1, N, D]}
     * @param encoder  text tokens of every clip {@code [1, T, D]}
     * @param siluTemb {@code silu(temb) [S, time_embed_dim]}, one row per clip
     * @param pack     which rows belong to which clip, and the clips' RoPE tables
     */
    public Tape forward(Tensor hidden, Tensor encoder, Tensor siluTemb, Packing pack) {
        int n = hidden.dim(1), t = encoder.dim(1), l = t + n;
        int headDim = dim / heads;

        // 1. norm1: z = LayerNorm(x) * (1 + scale) + shift, per stream and clip
        Tensor mod1 = norm1Linear.forward(siluTemb);                                           // [S, 6D]
        Tensor x = Layout.cat(1, modulate(norm1, encoder, mod1, ENC_SCALE, ENC_SHIFT, pack.text()),
                modulate(norm1, hidden, mod1, SCALE, SHIFT, pack.video()));                     // [1, T + N, D]

        // 2. attention within each clip's [text; video]: q/k LayerNorm per head, then RoPE on the video tokens
        Tensor qProj = toQ.forward(x);                                                         // [1, T + N, D]
        Tensor kProj = toK.forward(x);                                                         // [1, T + N, D]
        Tensor v = toV.forward(x);                                                             // [1, T + N, D]
        Tensor q = normQ.forward(qProj.reshape(1, l, heads, headDim)).reshape(1, l, dim);      // [1, T + N, D]
        Tensor k = normK.forward(kProj.reshape(1, l, heads, headDim)).reshape(1, l, dim);      // [1, T + N, D]
        for (int c = 0; pack.rope() != null && c < pack.clips(); c++) {
            Embeddings.RotaryTable rope = pack.rope().get(c);
            Rope.applyInPlace(q, heads, t + pack.video().start(c), rope.cos(), rope.sin());
            Rope.applyInPlace(k, heads, t + pack.video().start(c), rope.cos(), rope.sin());
        }
        Tensor attnOut = Tensor.zeros(1, l, dim);                                              // [1, T + N, D]
        for (int c = 0; c < pack.clips(); c++) {
            pack.scatter(attnOut, c, Attention.attend(pack.gather(q, c), pack.gather(k, c), pack.gather(v, c),
                    heads, attentionScale(), null));                                           // [1, T_c + N_c, D]
        }
        Tensor attn = toOut.forward(attnOut);                                                  // [1, T + N, D]
        Tensor hidden1 = gatedAdd(hidden, mod1, GATE, Layout.narrow(attn, 1, t, n), pack.video());   // [1, N, D]
        Tensor encoder1 = gatedAdd(encoder, mod1, ENC_GATE, Layout.narrow(attn, 1, 0, t), pack.text()); // [1, T, D]

        // 3. norm2 and the feed-forward over [text; video]
        Tensor mod2 = norm2Linear.forward(siluTemb);                                           // [S, 6D]
        Tensor x2 = Layout.cat(1, modulate(norm2, encoder1, mod2, ENC_SCALE, ENC_SHIFT, pack.text()),
                modulate(norm2, hidden1, mod2, SCALE, SHIFT, pack.video()));                    // [1, T + N, D]
        Tensor ffHidden = ffIn.forward(x2);                                                    // [1, T + N, 4D]
        Tensor ffAct = Ops.geluTanh(ffHidden);                                                 // [1, T + N, 4D]
        Tensor ff = ffOut.forward(ffAct);                                                      // [1, T + N, D]
        Tensor outHidden = gatedAdd(hidden1, mod2, GATE, Layout.narrow(ff, 1, t, n), pack.video());  // [1, N, D]
        Tensor outEncoder = gatedAdd(encoder1, mod2, ENC_GATE, Layout.narrow(ff, 1, 0, t), pack.text()); // [1, T, D]
        return new Tape(hidden, encoder, siluTemb, pack, mod1, x, qProj, kProj, q, k, v, attnOut, attn, hidden1, encoder1,
                mod2, x2, ffHidden, ffAct, ff, outHidden, outEncoder);
    }

    /** Gradients of the block's inputs; {@code dSiluTemb [S, time_embed_dim]} is added to in place. */
    public record InputGrads(Tensor dHidden, Tensor dEncoder) {
    }

    /**
     * Backward of {@link #forward}: accumulates the gradient of every parameter of the block and returns those of
     * the two token streams. {@code dOutHidden [1, N, D]}, {@code dOutEncoder [1, T, D]}.
     */
    public InputGrads backward(Tape tape, Tensor dOutHidden, Tensor dOutEncoder, Tensor dSiluTemb) {
        Packing pack = tape.pack();
        int n = tape.hidden().dim(1), t = tape.encoder().dim(1), l = t + n, clips = pack.clips();
        int headDim = dim / heads;

        // 3. feed-forward and norm2
        Tensor dMod2 = Tensor.zeros(clips, 6 * dim);                                           // [S, 6D]
        Tensor dFf = Layout.cat(1,
                gatedBackward(tape.mod2(), ENC_GATE, Layout.narrow(tape.ff(), 1, 0, t), dOutEncoder, dMod2, pack.text()),
                gatedBackward(tape.mod2(), GATE, Layout.narrow(tape.ff(), 1, t, n), dOutHidden, dMod2, pack.video())); // [1, T + N, D]
        Tensor dAct = ffOut.backward(tape.ffAct(), dFf, true);                                 // [1, T + N, 4D]
        Tensor dX2 = ffIn.backward(tape.ffInput(), ActivationGrad.geluTanh(tape.ffHidden(), dAct), true); // [1, T + N, D]
        Tensor dHidden1 = Ops.add(dOutHidden, modulateBackward(norm2, tape.hidden1(), tape.mod2(), SCALE, SHIFT,
                Layout.narrow(dX2, 1, t, n), dMod2, pack.video()));
        Tensor dEncoder1 = Ops.add(dOutEncoder, modulateBackward(norm2, tape.encoder1(), tape.mod2(), ENC_SCALE, ENC_SHIFT,
                Layout.narrow(dX2, 1, 0, t), dMod2, pack.text()));
        Ops.addInPlace(dSiluTemb, norm2Linear.backward(tape.siluTemb(), dMod2, true));

        // 2. attention, clip by clip, then RoPE
        Tensor dMod1 = Tensor.zeros(clips, 6 * dim);                                           // [S, 6D]
        Tensor dAttn = Layout.cat(1,
                gatedBackward(tape.mod1(), ENC_GATE, Layout.narrow(tape.attn(), 1, 0, t), dEncoder1, dMod1, pack.text()),
                gatedBackward(tape.mod1(), GATE, Layout.narrow(tape.attn(), 1, t, n), dHidden1, dMod1, pack.video())); // [1, T + N, D]
        Tensor dAttnOut = toOut.backward(tape.attnOut(), dAttn, true);                         // [1, T + N, D]
        Tensor dq = Tensor.zeros(1, l, dim), dk = Tensor.zeros(1, l, dim), dv = Tensor.zeros(1, l, dim);
        for (int c = 0; c < clips; c++) {
            AttentionGrad.Grads g = AttentionGrad.backward(pack.gather(tape.q(), c), pack.gather(tape.k(), c),
                    pack.gather(tape.v(), c), pack.gather(tape.attnOut(), c), pack.gather(dAttnOut, c), heads, attentionScale());
            pack.scatter(dq, c, g.dq());
            pack.scatter(dk, c, g.dk());
            pack.scatter(dv, c, g.dv());
        }
        for (int c = 0; pack.rope() != null && c < clips; c++) {
            Embeddings.RotaryTable rope = pack.rope().get(c);
            RopeGrad.applyInPlace(dq, heads, t + pack.video().start(c), rope.cos(), rope.sin());
            RopeGrad.applyInPlace(dk, heads, t + pack.video().start(c), rope.cos(), rope.sin());
        }
        Tensor dQuery = normQ.backward(tape.qProj().reshape(1, l, heads, headDim), dq.reshape(1, l, heads, headDim));
        Tensor dKey = normK.backward(tape.kProj().reshape(1, l, heads, headDim), dk.reshape(1, l, heads, headDim));
        Tensor dX = toQ.backward(tape.attnInput(), dQuery.reshape(1, l, dim), true);           // [1, T + N, D]
        Ops.addInPlace(dX, toK.backward(tape.attnInput(), dKey.reshape(1, l, dim), true));
        Ops.addInPlace(dX, toV.backward(tape.attnInput(), dv, true));

        // 1. norm1
        Tensor dHidden = Ops.add(dHidden1, modulateBackward(norm1, tape.hidden(), tape.mod1(), SCALE, SHIFT,
                Layout.narrow(dX, 1, t, n), dMod1, pack.video()));
        Tensor dEncoder = Ops.add(dEncoder1, modulateBackward(norm1, tape.encoder(), tape.mod1(), ENC_SCALE, ENC_SHIFT,
                Layout.narrow(dX, 1, 0, t), dMod1, pack.text()));
        Ops.addInPlace(dSiluTemb, norm1Linear.backward(tape.siluTemb(), dMod1, true));
        return new InputGrads(dHidden, dEncoder);
    }

    private float attentionScale() {
        return (float) (1.0 / Math.sqrt((double) dim / heads));
    }

    private Tensor chunk(Tensor mod, int i) {
        return Layout.narrow(mod, 1, i * dim, dim);
    }

    /** {@code norm(x) * (1 + scale) + shift} with scale and shift chunks of {@code mod}, row {@code s} for clip {@code s}. */
    private Tensor modulate(TrainLayerNorm norm, Tensor x, Tensor mod, int scale, int shift, TokenSegments clips) {
        Tensor z = norm.forward(x);
        Ops.modulateInPlace(z.reshape(clips.total(), 1, dim), clips.expand(chunk(mod, scale)), clips.expand(chunk(mod, shift)));
        return z;
    }

    /** Backward of {@link #modulate}: adds dscale and dshift into {@code dMod}, returns dx. */
    private Tensor modulateBackward(TrainLayerNorm norm, Tensor x, Tensor mod, int scale, int shift, Tensor dz, Tensor dMod,
                                    TokenSegments clips) {
        ModulationGrad.Modulate g = ModulationGrad.modulate(norm.forward(x), chunk(mod, scale), dz, clips);
        Layout.paste(dMod, 1, scale * dim, g.dscale());
        Layout.paste(dMod, 1, shift * dim, g.dshift());
        return norm.backward(x, g.dn());
    }

    /** {@code acc + gate * y} as a new tensor, gate a chunk of {@code mod}, row {@code s} for clip {@code s}. */
    private Tensor gatedAdd(Tensor acc, Tensor mod, int gate, Tensor y, TokenSegments clips) {
        Tensor out = acc.copy();
        Ops.addGatedInPlace(out.reshape(clips.total(), 1, dim), clips.expand(chunk(mod, gate)), y.reshape(clips.total(), 1, dim));
        return out;
    }

    /** Backward of {@link #gatedAdd} for the y branch: writes dgate into {@code dMod}, returns dy. */
    private Tensor gatedBackward(Tensor mod, int gate, Tensor y, Tensor dOut, Tensor dMod, TokenSegments clips) {
        ModulationGrad.Gated g = ModulationGrad.gated(chunk(mod, gate), y, dOut, clips);
        Layout.paste(dMod, 1, gate * dim, g.dgate());
        return g.dy();
    }
}
