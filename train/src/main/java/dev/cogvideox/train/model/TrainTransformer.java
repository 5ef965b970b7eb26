package dev.cogvideox.train.model;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.model.transformer.Embeddings;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.grad.ActivationGrad;
import dev.cogvideox.train.grad.ModulationGrad;
import dev.cogvideox.train.grad.Reduce;
import dev.cogvideox.train.grad.TokenSegments;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Training twin of {@code CogVideoXTransformer3DModel}: every parameter is an fp32 {@link Parameter} named by its
 * diffusers {@code state_dict} key, {@link #forward} runs the same computation as the core model with the core
 * kernels and keeps a {@link Pass} for {@link #backward}, which accumulates {@code d loss / d parameter} for every
 * trainable parameter. The weights are copied at construction; the store may be closed afterwards.
 *
 * <p>A batch may mix clips of different sizes ({@link #forward(List, float[])}, Frame Pack): they run as one packed
 * sequence in which each clip attends only to itself (see {@link Packing}).
 *
 * <p>With {@link #setRecomputeBlocks} the pass keeps only each block's inputs and recomputes the block's
 * intermediate tensors during the backward pass (activation checkpointing: one more forward, far less memory).
 */
public final class TrainTransformer {
    private final CogVideoXTransformerConfig cfg;
    private final Parameters params = new Parameters();
    private final TrainPatchEmbed patchEmbed;
    private final TrainTimestepEmbedding timeEmbedding;
    private final TrainTimestepEmbedding ofsEmbedding;
    private final List<TrainBlock> blocks = new ArrayList<>();
    private final TrainLayerNorm normFinal;
    private final TrainLinear normOutLinear;
    private final TrainLayerNorm normOutNorm;
    private final TrainLinear projOut;
    private boolean recomputeBlocks;

    public TrainTransformer(CogVideoXTransformerConfig cfg, WeightStore store) {
        this.cfg = cfg;
        int d = cfg.innerDim();
        this.patchEmbed = new TrainPatchEmbed(cfg, params, store);
        this.timeEmbedding = TrainTimestepEmbedding.load(params, store, "time_embedding", d, cfg.timeEmbedDim());
        this.ofsEmbedding = cfg.ofsEmbedDim() == null ? null
                : TrainTimestepEmbedding.load(params, store, "ofs_embedding", cfg.ofsEmbedDim(), cfg.ofsEmbedDim());
        for (int i = 0; i < cfg.numLayers(); i++) {
            blocks.add(new TrainBlock(cfg, params, store, i));
        }
        this.normFinal = TrainLayerNorm.load(params, store, "norm_final", d, cfg.normElementwiseAffine(), cfg.normEps());
        this.normOutLinear = TrainLinear.load(params, store, "norm_out.linear", cfg.timeEmbedDim(), 2 * d, true);
        this.normOutNorm = TrainLayerNorm.load(params, store, "norm_out.norm", d, cfg.normElementwiseAffine(), cfg.normEps());
        this.projOut = TrainLinear.load(params, store, "proj_out", d, cfg.patchOutputDim(), true);
    }

    /** Loads {@code dir/config.json} and the weights of a transformer folder. */
    public static TrainTransformer load(Path dir) {
        CogVideoXTransformerConfig cfg = CogVideoXTransformerConfig.read(dir.resolve("config.json"));
        try (WeightStore store = WeightStore.open(dir)) {
            return new TrainTransformer(cfg, store);
        }
    }

    public CogVideoXTransformerConfig config() {
        return cfg;
    }

    public Parameters parameters() {
        return params;
    }

    public List<TrainBlock> blocks() {
        return blocks;
    }

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
        int count() {
            return latents.dim(0);
        }
    }

    /** One block's inputs and, unless recomputed, its tape. */
    private record BlockRecord(Tensor hidden, Tensor encoder, TrainBlock.Tape tape) {
    }

    /** A forward pass: the predictions and what {@link #backward} needs. */
    public static final class Pass {
        private final List<Tensor> outputs;
        private final List<Clips> groups;
        private final Packing pack;
        private final TrainTimestepEmbedding.Tape time;
        private final TrainTimestepEmbedding.Tape ofs;
        private final Tensor emb;
        private final Tensor siluEmb;
        private final List<TrainPatchEmbed.Tape> patches;
        private final List<BlockRecord> blocks;
        private final Tensor blocksOut;
        private final Tensor normFinalOut;
        private final Tensor mod;
        private final Tensor projIn;

        private Pass(List<Tensor> outputs, List<Clips> groups, Packing pack, TrainTimestepEmbedding.Tape time,
                     TrainTimestepEmbedding.Tape ofs, Tensor emb, Tensor siluEmb, List<TrainPatchEmbed.Tape> patches,
                     List<BlockRecord> blocks, Tensor blocksOut, Tensor normFinalOut, Tensor mod, Tensor projIn) {
            this.outputs = outputs;
            this.groups = groups;
            this.pack = pack;
            this.time = time;
            this.ofs = ofs;
            this.emb = emb;
            this.siluEmb = siluEmb;
            this.patches = patches;
            this.blocks = blocks;
            this.blocksOut = blocksOut;
            this.normFinalOut = normFinalOut;
            this.mod = mod;
            this.projIn = projIn;
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

    /**
     * A packed batch (Frame Pack): groups of clips of any frame count and size in one sequence, each clip attending
     * only to its own tokens, with its own RoPE positions (starting at 0) and timestep. Equal to running every clip
     * alone, up to float rounding.
     */
    public Pass forward(List<Clips> groups, float[] ofs) {
        for (Clips g : groups) {
            checkInputs(g.latents(), g.prompts(), g.timesteps(), g.rope(), ofs);
        }
        int clips = groups.stream().mapToInt(Clips::count).sum(), d = cfg.innerDim();

        // 1. time embedding (Timesteps has the inner dim as width), one row per clip
        float[] timesteps = new float[clips];
        int at = 0;
        for (Clips g : groups) {
            System.arraycopy(g.timesteps(), 0, timesteps, at, g.count());
            at += g.count();
        }
        TrainTimestepEmbedding.Tape time = timeEmbedding.forward(
                Embeddings.timestepEmbedding(timesteps, d, cfg.flipSinToCos(), cfg.freqShift()));
        Tensor emb = time.output().copy();                                                     // [S, time_embed_dim]
        TrainTimestepEmbedding.Tape ofsTape = null;
        if (ofsEmbedding != null) {
            ofsTape = ofsEmbedding.forward(Embeddings.timestepEmbedding(ofs, cfg.ofsEmbedDim(), cfg.flipSinToCos(), cfg.freqShift()));
            Ops.addRowsInPlace(emb.reshape(clips, 1, -1), ofsTape.output().reshape(-1));      // broadcast over the clips
        }
        Tensor siluEmb = Ops.silu(emb);                                                        // [S, time_embed_dim]

        // 2. patch embedding per group, then pack: [text of every clip; video of every clip]
        List<TrainPatchEmbed.Tape> patches = new ArrayList<>();
        List<Tensor> texts = new ArrayList<>(), videos = new ArrayList<>();
        List<Integer> textLengths = new ArrayList<>(), videoLengths = new ArrayList<>();
        List<Embeddings.RotaryTable> ropes = new ArrayList<>();
        for (Clips g : groups) {
            TrainPatchEmbed.Output embeds = patchEmbed.forward(g.prompts(), g.latents());      // [b, T + N, D]
            int textLen = g.prompts().dim(1), n = embeds.embeds().dim(1) - textLen;
            patches.add(embeds.tape());
            texts.add(Layout.narrow(embeds.embeds(), 1, 0, textLen).reshape(1, -1, d));      // [1, b*T, D]
            videos.add(Layout.narrow(embeds.embeds(), 1, textLen, n).reshape(1, -1, d));     // [1, b*N, D]
            for (int i = 0; i < g.count(); i++) {
                textLengths.add(textLen);
                videoLengths.add(n);
                ropes.add(g.rope());
            }
        }
        Packing pack = new Packing(segments(textLengths), segments(videoLengths), cfg.useRotaryPositionalEmbeddings() ? ropes : null);
        Tensor encoder = Layout.cat(1, texts);                                                 // [1, T, D]
        Tensor hidden = Layout.cat(1, videos);                                                 // [1, N, D]

        // 3. transformer blocks
        List<BlockRecord> records = new ArrayList<>();
        for (TrainBlock block : blocks) {
            TrainBlock.Tape tape = block.forward(hidden, encoder, siluEmb, pack);
            records.add(new BlockRecord(hidden, encoder, recomputeBlocks ? null : tape));
            hidden = tape.outHidden();
            encoder = tape.outEncoder();
        }
        Tensor normFinalOut = normFinal.forward(hidden);                                       // [1, N, D], video tokens only

        // 4. final AdaLayerNorm: shift first, then scale, per clip
        Tensor mod = normOutLinear.forward(siluEmb);                                           // [S, 2D]
        Tensor projIn = normOutNorm.forward(normFinalOut);                                     // [1, N, D]
        TokenSegments video = pack.video();
        Ops.modulateInPlace(projIn.reshape(video.total(), 1, d), video.expand(Layout.narrow(mod, 1, d, d)),
                video.expand(Layout.narrow(mod, 1, 0, d)));
        Tensor out = projOut.forward(projIn);                                                  // [1, N, patch_out]

        // 5. unpatchify per group
        List<Tensor> outputs = new ArrayList<>();
        int row = 0;
        for (Clips g : groups) {
            int rows = g.count() * tokens(g.latents().shape());
            outputs.add(unpatchify(Layout.narrow(out, 1, row, rows), g.latents().shape()));   // [b, F, C_out, H, W]
            row += rows;
        }
        return new Pass(outputs, groups, pack, time, ofsTape, emb, siluEmb, patches, records, hidden, normFinalOut, mod, projIn);
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
        int d = cfg.innerDim();
        Packing pack = pass.pack;

        // 5. unpatchify, 4. proj_out and the final AdaLayerNorm
        List<Tensor> dTokens = new ArrayList<>();
        for (int i = 0; i < dOutputs.size(); i++) {
            dOutputs.get(i).requireShape("output gradient", pass.outputs.get(i).shape());
            dTokens.add(patchify(dOutputs.get(i), pass.groups.get(i).latents().shape()).reshape(1, -1, cfg.patchOutputDim()));
        }
        Tensor dProjIn = projOut.backward(pass.projIn, Layout.cat(1, dTokens), true);          // [1, N, D]
        ModulationGrad.Modulate m = ModulationGrad.modulate(normOutNorm.forward(pass.normFinalOut),
                Layout.narrow(pass.mod, 1, d, d), dProjIn, pack.video());
        Tensor dMod = Layout.cat(1, m.dshift(), m.dscale());                                   // [S, 2D]
        Tensor dSiluEmb = normOutLinear.backward(pass.siluEmb, dMod, true);                    // [S, time_embed_dim]
        Tensor dHidden = normFinal.backward(pass.blocksOut, normOutNorm.backward(pass.normFinalOut, m.dn())); // [1, N, D]

        // 3. transformer blocks, last first (the last block's text output is discarded: zero gradient)
        Tensor dEncoder = Tensor.zeros(1, pack.text().total(), d);                             // [1, T, D]
        for (int i = blocks.size() - 1; i >= 0; i--) {
            BlockRecord r = pass.blocks.get(i);
            TrainBlock.Tape tape = r.tape() != null ? r.tape() : blocks.get(i).forward(r.hidden(), r.encoder(), pass.siluEmb, pack);
            TrainBlock.InputGrads g = blocks.get(i).backward(tape, dHidden, dEncoder, dSiluEmb);
            dHidden = g.dHidden();
            dEncoder = g.dEncoder();
        }

        // 2. patch embedding per group
        int textRow = 0, videoRow = 0;
        for (int i = 0; i < pass.groups.size(); i++) {
            Clips g = pass.groups.get(i);
            int b = g.count(), textLen = g.prompts().dim(1), n = tokens(g.latents().shape());
            patchEmbed.backward(pass.patches.get(i), Layout.cat(1,
                    Layout.narrow(dEncoder, 1, textRow, b * textLen).reshape(b, textLen, d),
                    Layout.narrow(dHidden, 1, videoRow, b * n).reshape(b, n, d)));
            textRow += b * textLen;
            videoRow += b * n;
        }

        // 1. time embedding (the ofs embedding is broadcast over the clips: its gradient sums over them)
        Tensor dEmb = ActivationGrad.silu(pass.emb, dSiluEmb);                                 // [S, time_embed_dim]
        if (ofsEmbedding != null) {
            ofsEmbedding.backward(pass.ofs, Reduce.sumRows(dEmb).reshape(1, -1));
        }
        timeEmbedding.backward(pass.time, dEmb);
    }

    private static TokenSegments segments(List<Integer> lengths) {
        return TokenSegments.ofLengths(lengths.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Video tokens of one clip of latents {@code [B, F, C, H, W]}. */
    private int tokens(int[] latent) {
        int[] shape = tokenShape(latent);
        return shape[1] * shape[2] * shape[3];
    }

    /** Permutation from {@code [B, F', H/p, W/p, C, (pt,) p, p]} tokens to the latent layout, before the final reshape. */
    private int[] unpatchifyOrder() {
        return cfg.patchSizeT() == null ? new int[]{0, 1, 4, 2, 5, 3, 6} : new int[]{0, 1, 5, 4, 2, 6, 3, 7};
    }

    /** Token shape {@code [B, F', H/p, W/p, C, (pt,) p, p]} for latents {@code [B, F, C, H, W]}. */
    private int[] tokenShape(int[] latent) {
        int b = latent[0], f = latent[1], h = latent[3], w = latent[4], p = cfg.patchSize(), c = cfg.outChannels();
        return cfg.patchSizeT() == null ? new int[]{b, f, h / p, w / p, c, p, p}
                : new int[]{b, f / cfg.patchSizeT(), h / p, w / p, c, cfg.patchSizeT(), p, p};
    }

    /** {@code [B, N, patch_out] -> [B, F, C_out, H, W]}, features ordered (c, [pt,] ph, pw). */
    private Tensor unpatchify(Tensor x, int[] latent) {
        Tensor y = Layout.permute(x.reshape(tokenShape(latent)), unpatchifyOrder());
        return y.reshape(latent[0], latent[1], cfg.outChannels(), latent[3], latent[4]);
    }

    /** The adjoint of {@link #unpatchify}: {@code [B, F, C_out, H, W] -> [B, N, patch_out]}. */
    private Tensor patchify(Tensor g, int[] latent) {
        int[] order = unpatchifyOrder(), tokens = tokenShape(latent);
        int[] permuted = new int[order.length], inverse = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            permuted[i] = tokens[order[i]];
            inverse[order[i]] = i;
        }
        return Layout.permute(g.reshape(permuted), inverse).reshape(latent[0], -1, cfg.patchOutputDim());
    }

    private void checkInputs(Tensor video, Tensor text, float[] timesteps, Embeddings.RotaryTable rope, float[] ofs) {
        if (video.rank() != 5 || video.dim(2) != cfg.inChannels()) {
            throw new IllegalArgumentException("hidden_states must be [B, F, " + cfg.inChannels() + ", H, W] latents, got " + video);
        }
        int b = video.dim(0), p = cfg.patchSize();
        if (video.dim(3) % p != 0 || video.dim(4) % p != 0 || (cfg.patchSizeT() != null && video.dim(1) % cfg.patchSizeT() != 0)) {
            throw new IllegalArgumentException("latents " + video + " are not a whole number of patches (patch_size " + p
                    + (cfg.patchSizeT() == null ? "" : ", patch_size_t " + cfg.patchSizeT()) + ")");
        }
        if (text.rank() != 3 || text.dim(0) != b || text.dim(2) != cfg.textEmbedDim()) {
            throw new IllegalArgumentException("encoder_hidden_states must be [" + b + ", T, " + cfg.textEmbedDim() + "], got " + text);
        }
        if (timesteps.length != b) {
            throw new IllegalArgumentException(timesteps.length + " timesteps for a batch of " + b);
        }
        if (cfg.useRotaryPositionalEmbeddings() != (rope != null)) {
            throw new IllegalArgumentException("the " + cfg.variant() + " transformer " + (rope == null ? "needs" : "takes no") + " RoPE table");
        }
        if ((cfg.ofsEmbedDim() != null) != (ofs != null && ofs.length == 1)) {
            throw new IllegalArgumentException("the " + cfg.variant() + " transformer " + (cfg.ofsEmbedDim() != null ? "needs one" : "takes no") + " ofs value");
        }
    }
}
