package dev.cogvideox.train.model;

import dev.cogvideox.io.TensorWeightStore;
import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.Tape;
import dev.cogvideox.model.nn.LayerNorm;
import dev.cogvideox.model.nn.Linear;
import dev.cogvideox.model.transformer.CogVideoXBlock;
import dev.cogvideox.model.transformer.CogVideoXPatchEmbed;
import dev.cogvideox.model.transformer.CogVideoXTransformer3DModel;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.model.transformer.Embeddings;
import dev.cogvideox.model.transformer.Modulation;
import dev.cogvideox.model.transformer.TimestepEmbedding;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Rope;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.grad.ActivationGrad;
import dev.cogvideox.train.grad.AttentionGrad;
import dev.cogvideox.train.grad.LinearGrad;
import dev.cogvideox.train.grad.ModulationGrad;
import dev.cogvideox.train.grad.NormGrad;
import dev.cogvideox.train.grad.Reduce;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The core {@link CogVideoXTransformer3DModel} made trainable. Its weights are fp32 {@link Parameter}s named by
 * their diffusers {@code state_dict} keys, handed to the model without copying ({@link TensorWeightStore}), so the
 * optimizers' in-place updates change the model. {@link #forward} is the core forward on a recording {@link Tape};
 * {@link #backward} walks that tape in reverse (output layers, blocks last first, patch embedding, time embedding)
 * with the gradient math of {@code train.grad}, accumulating {@code d loss / d parameter} into every trainable
 * parameter. The weights are copied at construction; the store may be closed afterwards.
 *
 * <p>A batch may mix clips of different sizes ({@link #forward(List, float[])}, Frame Pack): each group of equal
 * clips runs the forward on the same tape, so the loss and the gradients are those of the groups one by one.
 *
 * <p>With {@link #setRecomputeBlocks} the tape keeps only each block's input and the backward runs the block's
 * forward again (activation checkpointing: one more forward, far less memory).
 */
public final class TrainTransformer {
    /** A buffer of the 5b-I2V, not a parameter: it takes no gradient. */
    private static final String POS_EMBEDDING = "patch_embed.pos_embedding";

    private final CogVideoXTransformer3DModel model;
    private final Parameters params = new Parameters();
    private boolean recomputeBlocks;

    public TrainTransformer(CogVideoXTransformerConfig cfg, WeightStore store) {
        TensorWeightStore weights = TensorWeightStore.copyOf(store);
        this.model = new CogVideoXTransformer3DModel(cfg, weights);
        for (String name : weights.handedOut()) {                                              // in the model's order
            if (!name.equals(POS_EMBEDDING)) {
                params.register(new Parameter(name, weights.tensors().get(name)));
            }
        }
    }

    /** Loads {@code dir/config.json} and the weights of a transformer folder. */
    public static TrainTransformer load(Path dir) {
        CogVideoXTransformerConfig cfg = CogVideoXTransformerConfig.read(dir.resolve("config.json"));
        try (WeightStore store = WeightStore.open(dir)) {
            return new TrainTransformer(cfg, store);
        }
    }

    public CogVideoXTransformerConfig config() {
        return model.config();
    }

    public Parameters parameters() {
        return params;
    }

    public List<CogVideoXBlock> blocks() {
        return model.layers().blocks();
    }

    /** Activation checkpointing: keep only the blocks' inputs and recompute the blocks during the backward pass. */
    public void setRecomputeBlocks(boolean recompute) {
        this.recomputeBlocks = recompute;
    }

    /**
     * Equally shaped clips of a (packed) batch.
     *
     * @param latents   {@code [b, F, C_in, H, W]}
     * @param prompts   prompt embeddings {@code [b, T, text_embed_dim]}
     * @param timesteps one per clip (the reference casts int64 to float32)
     * @param rope      RoPE table of one clip's video tokens (RoPE models), else null
     */
    public record Clips(Tensor latents, Tensor prompts, float[] timesteps, Embeddings.RotaryTable rope) {
    }

    /** A forward pass: the predictions and the tape {@link #backward} walks. */
    public static final class Pass {
        private final List<Tensor> outputs;
        private final Tape tape;

        private Pass(List<Tensor> outputs, Tape tape) {
            this.outputs = outputs;
            this.tape = tape;
        }

        /** The prediction {@code [B, F, C_out, H, W]} of a one-group pass. */
        public Tensor output() {
            if (outputs.size() != 1) {
                throw new IllegalStateException("a pass over " + outputs.size() + " groups of clips has one output per group");
            }
            return outputs.getFirst();
        }

        /** The predictions, one {@code [b, F, C_out, H, W]} per group of clips. */
        public List<Tensor> outputs() {
            return outputs;
        }
    }

    /**
     * One batch of equally shaped clips.
     *
     * @param hiddenStates        latents {@code [B, F, C_in, H, W]}
     * @param encoderHiddenStates prompt embeddings {@code [B, T, text_embed_dim]}
     * @param timesteps           one per sample (the reference casts int64 to float32)
     * @param rope                RoPE table of the video tokens (RoPE models), else null
     * @param ofs                 the 1.5-I2V ofs value ({@code [1]}), else null
     */
    public Pass forward(Tensor hiddenStates, Tensor encoderHiddenStates, float[] timesteps, Embeddings.RotaryTable rope, float[] ofs) {
        return forward(List.of(new Clips(hiddenStates, encoderHiddenStates, timesteps, rope)), ofs);
    }

    /** Groups of clips of any frame count and size (Frame Pack), each group one core forward on the same tape. */
    public Pass forward(List<Clips> groups, float[] ofs) {
        for (Clips g : groups) {
            if (!config().useRotaryPositionalEmbeddings() && g.rope() != null) {
                throw new IllegalArgumentException("the " + config().variant() + " transformer takes no RoPE table");
            }
        }
        Tape tape = recomputeBlocks ? Tape.checkpointing() : Tape.recording();
        List<Tensor> outputs = new ArrayList<>();
        for (Clips g : groups) {
            outputs.add(model.forward(g.latents(), g.prompts(), g.timesteps(), g.rope(), ofs, tape));
        }
        return new Pass(outputs, tape);
    }

    /** {@link #backward(Pass, List)} of a one-group pass. */
    public void backward(Pass pass, Tensor dOutput) {
        backward(pass, List.of(dOutput));
    }

    /** Accumulates {@code d loss / d parameter} into every trainable parameter, given {@code d loss / d output} per group. */
    public void backward(Pass pass, List<Tensor> dOutputs) {
        if (dOutputs.size() != pass.outputs.size()) {
            throw new IllegalArgumentException(dOutputs.size() + " output gradients for " + pass.outputs.size() + " groups");
        }
        for (int i = dOutputs.size() - 1; i >= 0; i--) {
            dOutputs.get(i).requireShape("output gradient", pass.outputs.get(i).shape());
            backwardGroup(pass.tape, dOutputs.get(i));
        }
        if (!pass.tape.isEmpty()) {
            throw new IllegalStateException("the backward pass left entries on the tape");
        }
    }

    /** The backward of one core forward, whose entries are the last ones on the tape. */
    private void backwardGroup(Tape tape, Tensor dOutput) {
        CogVideoXTransformerConfig cfg = config();
        int d = cfg.innerDim(), b = dOutput.dim(0);
        CogVideoXTransformer3DModel.Layers layers = model.layers();

        // 5. unpatchify, 4. proj_out and the final AdaLayerNorm (shift first, then scale)
        CogVideoXTransformer3DModel.Saved out = tape.pop(model, CogVideoXTransformer3DModel.Saved.class);
        int t = out.textLen(), n = out.blocksOut().dim(1);
        Tensor dProjIn = linear(layers.projOut(), out.projIn(), patchify(dOutput), true);          // [B, N, D]
        ModulationGrad.Modulate m = ModulationGrad.modulate(layers.normOutNorm().forward(out.normFinalOut()),
                Layout.narrow(out.mod(), 1, d, d), dProjIn);
        Tensor dSiluEmb = linear(layers.normOutLinear(), out.siluEmb(), Layout.cat(1, m.dshift(), m.dscale()), true);
        Tensor dVideo = norm(layers.normFinal(), out.blocksOut(), norm(layers.normOutNorm(), out.normFinalOut(), m.dn()));

        // 3. transformer blocks, last first, on the joint stream (the last block's text output is discarded)
        Tensor dX = Tensor.zeros(b, t + n, d);                                                   // [B, T + N, D]
        Layout.paste(dX, 1, t, dVideo);
        List<CogVideoXBlock> blocks = layers.blocks();
        for (int i = blocks.size() - 1; i >= 0; i--) {
            dX = block(blocks.get(i), tape, dX, dSiluEmb);
        }

        // 2. patch embedding: the inputs are data, only the projections take gradients
        CogVideoXPatchEmbed patchEmbed = layers.patchEmbed();
        CogVideoXPatchEmbed.Saved patches = tape.pop(patchEmbed, CogVideoXPatchEmbed.Saved.class);
        linear(patchEmbed.textProj(), patches.text(), Layout.narrow(dX, 1, 0, t), false);
        linear(patchEmbed.proj(), patches.patches(), Layout.narrow(dX, 1, t, n), false);

        // 1. time embedding (the ofs embedding is broadcast over the batch: its gradient sums over it)
        Tensor dEmb = ActivationGrad.silu(out.emb(), dSiluEmb);                                 // [B, time_embed_dim]
        if (layers.ofsEmbedding() != null) {
            timestep(layers.ofsEmbedding(), tape, Reduce.sumRows(dEmb).reshape(1, -1));
        }
        timestep(layers.timeEmbedding(), tape, dEmb);
    }

    /** Backward of {@link CogVideoXBlock#forwardInPlace}: returns the gradient of its input, adds into {@code dSiluTemb}. */
    private Tensor block(CogVideoXBlock block, Tape tape, Tensor dOut, Tensor dSiluTemb) {
        Object entry = tape.pop(block, Object.class);
        CogVideoXBlock.Saved s;
        if (entry instanceof CogVideoXBlock.Checkpoint c) {
            Tape again = Tape.recording();
            block.forwardInPlace(c.input(), c.textLen(), c.siluTemb(), c.rope(), again);
            s = again.pop(block, CogVideoXBlock.Saved.class);
        } else {
            s = (CogVideoXBlock.Saved) entry;
        }
        int b = dOut.dim(0), l = dOut.dim(1), dim = dOut.dim(2), t = s.textLen(), heads = block.heads(), headDim = dim / heads;
        CogVideoXBlock.Layers w = block.layers();

        // 3. feed-forward and norm2
        Tensor dMod2 = Tensor.zeros(b, Modulation.CHUNKS * dim);                                // [B, 6D]
        Tensor dFf = gated(s.mod2(), s.ff(), dOut, dMod2, t);
        Tensor dAct = linear(w.ffOut(), s.ffAct(), dFf, true);                              // [B, L, 4D]
        Tensor dX2 = linear(w.ffIn(), s.ffInput(), ActivationGrad.geluTanh(s.ffHidden(), dAct), true);
        Tensor dHidden1 = Ops.add(dOut, modulate(w.norm2(), s.hidden1(), s.mod2(), dX2, dMod2, t));
        Ops.addInPlace(dSiluTemb, linear(w.norm2Linear(), s.siluTemb(), dMod2, true));

        // 2. attention, RoPE on the video tokens, the q/k LayerNorm, the projections
        Tensor dMod1 = Tensor.zeros(b, Modulation.CHUNKS * dim);
        Tensor dAttnOut = linear(w.toOut(), s.attnOut(), gated(s.mod1(), s.attn(), dHidden1, dMod1, t), true);
        AttentionGrad.Grads g = AttentionGrad.backward(s.q(), s.k(), s.v(), s.attnOut(), dAttnOut, heads, block.attentionScale());
        if (s.rope() != null) {
            Rope.applyTransposedInPlace(g.dq(), heads, t, s.rope().cos(), s.rope().sin());
            Rope.applyTransposedInPlace(g.dk(), heads, t, s.rope().cos(), s.rope().sin());
        }
        Tensor dQuery = norm(w.normQ(), s.qProj().reshape(b, l, heads, headDim), g.dq().reshape(b, l, heads, headDim));
        Tensor dKey = norm(w.normK(), s.kProj().reshape(b, l, heads, headDim), g.dk().reshape(b, l, heads, headDim));
        Tensor dX = linear(w.toQ(), s.attnInput(), dQuery.reshape(b, l, dim), true);
        Ops.addInPlace(dX, linear(w.toK(), s.attnInput(), dKey.reshape(b, l, dim), true));
        Ops.addInPlace(dX, linear(w.toV(), s.attnInput(), g.dv(), true));

        // 1. norm1
        Tensor dIn = Ops.add(dHidden1, modulate(w.norm1(), s.input(), s.mod1(), dX, dMod1, t));
        Ops.addInPlace(dSiluTemb, linear(w.norm1Linear(), s.siluTemb(), dMod1, true));
        return dIn;
    }

    /**
     * Backward of the expert modulation {@code z = norm(x) * (1 + scale) + shift} (enc_* chunks on the first
     * {@code textLen} tokens): writes dscale and dshift into {@code dMod}, returns dx.
     */
    private Tensor modulate(LayerNorm norm, Tensor x, Tensor mod, Tensor dz, Tensor dMod, int textLen) {
        int l = x.dim(1), dim = x.dim(2);
        Tensor n = norm.forward(x);
        ModulationGrad.Modulate text = ModulationGrad.modulate(Layout.narrow(n, 1, 0, textLen),
                Modulation.chunk(mod, Modulation.ENC_SCALE, dim), Layout.narrow(dz, 1, 0, textLen));
        ModulationGrad.Modulate video = ModulationGrad.modulate(Layout.narrow(n, 1, textLen, l - textLen),
                Modulation.chunk(mod, Modulation.SCALE, dim), Layout.narrow(dz, 1, textLen, l - textLen));
        Layout.paste(dMod, 1, Modulation.ENC_SCALE * dim, text.dscale());
        Layout.paste(dMod, 1, Modulation.ENC_SHIFT * dim, text.dshift());
        Layout.paste(dMod, 1, Modulation.SCALE * dim, video.dscale());
        Layout.paste(dMod, 1, Modulation.SHIFT * dim, video.dshift());
        return norm(norm, x, Layout.cat(1, text.dn(), video.dn()));
    }

    /**
     * Backward of the expert gated residual {@code x += gate * y} (enc_gate on the first {@code textLen} tokens) for
     * the y branch: writes dgate into {@code dMod}, returns dy.
     */
    private static Tensor gated(Tensor mod, Tensor y, Tensor dOut, Tensor dMod, int textLen) {
        int l = y.dim(1), dim = y.dim(2);
        ModulationGrad.Gated text = ModulationGrad.gated(Modulation.chunk(mod, Modulation.ENC_GATE, dim),
                Layout.narrow(y, 1, 0, textLen), Layout.narrow(dOut, 1, 0, textLen));
        ModulationGrad.Gated video = ModulationGrad.gated(Modulation.chunk(mod, Modulation.GATE, dim),
                Layout.narrow(y, 1, textLen, l - textLen), Layout.narrow(dOut, 1, textLen, l - textLen));
        Layout.paste(dMod, 1, Modulation.ENC_GATE * dim, text.dgate());
        Layout.paste(dMod, 1, Modulation.GATE * dim, video.dgate());
        return Layout.cat(1, text.dy(), video.dy());
    }

    /** Backward of {@code TimestepEmbedding}: {@code linear_2(silu(linear_1(x)))}; the sinusoidal input takes no gradient. */
    private void timestep(TimestepEmbedding embedding, Tape tape, Tensor dOut) {
        TimestepEmbedding.Saved s = tape.pop(embedding, TimestepEmbedding.Saved.class);
        Tensor dAct = linear(embedding.linear2(), Ops.silu(s.hidden()), dOut, true);
        linear(embedding.linear1(), s.input(), ActivationGrad.silu(s.hidden(), dAct), false);
    }

    /**
     * Backward of a linear layer (and its LoRA branch) for the forward input {@code x} and output gradient
     * {@code dy}: accumulates the parameter gradients and returns the input gradient (null when {@code inputGrad} is false).
     */
    private Tensor linear(Linear layer, Tensor x, Tensor dy, boolean inputGrad) {
        Parameter weight = params.get(layer.weight().name());
        if (weight.requiresGrad()) {
            weight.accumulate(LinearGrad.weightGrad(layer.kernels(), x, dy));
        }
        if (layer.bias() != null && params.get(layer.bias().name()).requiresGrad()) {
            params.get(layer.bias().name()).accumulate(LinearGrad.biasGrad(dy));
        }
        Tensor dx = inputGrad ? LinearGrad.inputGrad(layer.kernels(), dy, weight.value().reshape(layer.outFeatures(), layer.inFeatures()))
                : null;
        return layer.adapter() instanceof LoraBranch lora ? lora.backward(x, dy, dx) : dx;
    }

    /** Backward of a LayerNorm: accumulates dw and db, returns dx. */
    private Tensor norm(LayerNorm norm, Tensor x, Tensor dy) {
        NormGrad.Grads g = NormGrad.layerNorm(x, norm.weight(), norm.eps(), dy);
        if (norm.weight() != null) {
            params.of(norm.weight()).accumulate(g.dw());
            params.of(norm.bias()).accumulate(g.db());
        }
        return g.dx();
    }

    /** The adjoint of the model's unpatchify: {@code [B, F, C_out, H, W] -> [B, N, patch_out]}. */
    private Tensor patchify(Tensor g) {
        CogVideoXTransformerConfig cfg = config();
        int b = g.dim(0), f = g.dim(1), c = cfg.outChannels(), h = g.dim(3), w = g.dim(4), p = cfg.patchSize();
        if (cfg.patchSizeT() == null) {
            Tensor y = g.reshape(b, f, c, h / p, p, w / p, p);                                  // [B, F, C, H/p, p, W/p, p]
            return Layout.permute(y, 0, 1, 3, 5, 2, 4, 6).reshape(b, -1, cfg.patchOutputDim());
        }
        int pt = cfg.patchSizeT();
        Tensor y = g.reshape(b, f / pt, pt, c, h / p, p, w / p, p);                             // [B, F/pt, pt, C, H/p, p, W/p, p]
        return Layout.permute(y, 0, 1, 4, 6, 3, 2, 5, 7).reshape(b, -1, cfg.patchOutputDim());
    }
}
