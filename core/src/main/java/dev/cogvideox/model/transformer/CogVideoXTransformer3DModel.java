package dev.cogvideox.model.transformer;

import dev.cogvideox.io.QuantizedWeightStore;
import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.Tape;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.Taps;
import dev.cogvideox.model.nn.LayerNorm;
import dev.cogvideox.model.nn.Linear;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' {@code CogVideoXTransformer3DModel} for all published variants (2b, 5b, 5b-I2V, 1.5-5b,
 * 1.5-5b-I2V). Weights stay in the {@link WeightStore} (memory-mapped, stored dtype); the model owns the store
 * and releases it on {@link #close()}.
 */
public final class CogVideoXTransformer3DModel implements AutoCloseable {
    private final CogVideoXTransformerConfig cfg;
    private final WeightStore store;
    private final CogVideoXPatchEmbed patchEmbed;
    private final TimestepEmbedding timeEmbedding;
    private final TimestepEmbedding ofsEmbedding;
    private final List<CogVideoXBlock> blocks = new ArrayList<>();
    private final LayerNorm normFinal;
    private final Linear normOutLinear;
    private final LayerNorm normOutNorm;
    private final Linear projOut;

    public CogVideoXTransformer3DModel(CogVideoXTransformerConfig cfg, WeightStore store) {
        this.cfg = cfg;
        this.store = store;
        int d = cfg.innerDim();
        this.patchEmbed = new CogVideoXPatchEmbed(cfg, store);
        this.timeEmbedding = TimestepEmbedding.load(store, "time_embedding", d, cfg.timeEmbedDim());
        this.ofsEmbedding = cfg.ofsEmbedDim() == null ? null
                : TimestepEmbedding.load(store, "ofs_embedding", cfg.ofsEmbedDim(), cfg.ofsEmbedDim());
        for (int i = 0; i < cfg.numLayers(); i++) {
            blocks.add(new CogVideoXBlock(cfg, store, i));
        }
        this.normFinal = LayerNorm.load(store, "norm_final", d, cfg.normElementwiseAffine(), cfg.normEps());
        this.normOutLinear = Linear.load(store, "norm_out.linear", cfg.timeEmbedDim(), 2 * d, true);
        this.normOutNorm = LayerNorm.load(store, "norm_out.norm", d, cfg.normElementwiseAffine(), cfg.normEps());
        this.projOut = Linear.load(store, "proj_out", d, cfg.patchOutputDim(), true);
    }

    /** Loads {@code dir/config.json} and the weights in {@code dir} (single file or sharded). */
    public static CogVideoXTransformer3DModel load(Path dir) {
        return load(dir, null);
    }

    /** As {@link #load(Path)} with the linear layers quantized to {@code weights} on load (null: as stored). */
    public static CogVideoXTransformer3DModel load(Path dir, QuantFormat weights) {
        return load(dir, weights, Kernels.JAVA);
    }

    /** As {@link #load(Path, QuantFormat)}, the model running on {@code kernels}. */
    public static CogVideoXTransformer3DModel load(Path dir, QuantFormat weights, Kernels kernels) {
        CogVideoXTransformerConfig cfg = CogVideoXTransformerConfig.read(dir.resolve("config.json"));
        WeightStore store = QuantizedWeightStore.of(WeightStore.open(dir).withKernels(kernels), weights);
        try {
            return new CogVideoXTransformer3DModel(cfg, store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    public CogVideoXTransformerConfig config() {
        return cfg;
    }

    /** {@link #forward(Tensor, Tensor, float[], Embeddings.RotaryTable, float[], RunContext, StepCache)}, unwatched and uncached. */
    public Tensor forward(Tensor hiddenStates, Tensor encoderHiddenStates, float[] timesteps, Embeddings.RotaryTable rope, float[] ofs) {
        return forward(hiddenStates, encoderHiddenStates, timesteps, rope, ofs, RunContext.NONE, StepCache.NONE, Tape.NONE);
    }

    /**
     * @param hiddenStates        latents {@code [B, F, C_in, H, W]}
     * @param encoderHiddenStates prompt embeddings {@code [B, T, text_embed_dim]}
     * @param timesteps           one per sample ({@code [B]}; the reference casts int64 to float32)
     * @param rope                RoPE table for the video tokens (RoPE models), from {@link RotaryPositions}
     * @param ofs                 the 1.5-I2V ofs value ({@code [1]}, broadcast over the batch), else null
     * @param run                 after each block its token is checked and its progress told the blocks done as parts
     *                            of the caller's current item ({@link dev.cogvideox.progress.ProgressListener#onSubProgress}:
     *                            a full-size step takes minutes on a CPU); its taps get the reference's names
     *                            ({@code temb}, {@code block3.hidden}, {@code proj_out}, ...)
     * @param cache               consulted on whether to run the blocks and their attention ({@link StepCache#NONE}:
     *                            every block, densely)
     * @return the prediction {@code [B, F, C_out, H, W]}
     */
    public Tensor forward(Tensor hiddenStates, Tensor encoderHiddenStates, float[] timesteps, Embeddings.RotaryTable rope,
                          float[] ofs, RunContext run, StepCache cache) {
        return forward(hiddenStates, encoderHiddenStates, timesteps, rope, ofs, run, cache, Tape.NONE);
    }

    /**
     * The forward that records on {@code tape} what the backward pass needs (training): the time and ofs embeddings,
     * the patch embedding, every block, then a {@link Saved} for the output layers, in that order.
     */
    public Tensor forward(Tensor hiddenStates, Tensor encoderHiddenStates, float[] timesteps, Embeddings.RotaryTable rope,
                          float[] ofs, Tape tape) {
        return forward(hiddenStates, encoderHiddenStates, timesteps, rope, ofs, RunContext.NONE, StepCache.NONE, tape);
    }

    private Tensor forward(Tensor hiddenStates, Tensor encoderHiddenStates, float[] timesteps, Embeddings.RotaryTable rope,
                           float[] ofs, RunContext runContext, StepCache cache, Tape tape) {
        Taps taps = runContext.taps();
        if (tape.isRecording() && cache != StepCache.NONE) {
            throw new IllegalArgumentException("a recording (training) forward runs every block densely: no step cache");
        }
        checkInputs(hiddenStates, encoderHiddenStates, timesteps, rope, ofs);
        int b = hiddenStates.dim(0), f = hiddenStates.dim(1), h = hiddenStates.dim(3), w = hiddenStates.dim(4);
        int textLen = encoderHiddenStates.dim(1);

        // 1. time embedding (Timesteps has the inner dim as width, not time_embed_dim)
        Tensor tProj = Embeddings.timestepEmbedding(timesteps, cfg.innerDim(), cfg.flipSinToCos(), cfg.freqShift());
        Tensor emb = timeEmbedding.forward(tProj, tape);                               // [B, time_embed_dim]
        taps.tap("temb", emb);
        if (ofsEmbedding != null) {
            Tensor ofsEmb = ofsEmbedding.forward(
                    Embeddings.timestepEmbedding(ofs, cfg.ofsEmbedDim(), cfg.flipSinToCos(), cfg.freqShift()), tape); // [1, ofs_dim]
            taps.tap("ofs_emb", ofsEmb);
            Ops.addRowsInPlace(emb.reshape(b, 1, -1), ofsEmb.reshape(-1));            // broadcast over the batch
        }
        Tensor siluEmb = Ops.silu(emb);

        // 2. patch embedding: the joint stream [text; video]
        Tensor embeds = patchEmbed.forward(encoderHiddenStates, hiddenStates, taps, tape);   // [B, T + N, D]
        taps.tap("patch_embed", embeds);
        int n = embeds.dim(1) - textLen;

        // 3. transformer blocks, in place on the joint stream (unless the cache skips them all): on this rank's slice of
        // it under sequence parallelism (the whole stream on one rank), gathered after the last block
        SequenceParallel seq = new SequenceParallel(runContext.ranks().sequence(), textLen, embeds.dim(1), cfg.numAttentionHeads());
        if (seq.size() > 1 && (tape.isRecording() || cache != StepCache.NONE || taps != Taps.NONE)) {
            throw new IllegalArgumentException("a sequence-parallel forward runs every block densely on one slice of the tokens: "
                    + "no training tape, step cache or taps");
        }
        boolean run = cache.runBlocks(emb, embeds);
        Tensor stream = seq.slice(embeds);
        Embeddings.RotaryTable localRope = seq.rope(rope);
        for (int i = 0; run && i < blocks.size(); i++) {
            blocks.get(i).forwardInPlace(stream, seq.localTextLen(), siluEmb, localRope, cache, tape, seq);
            store.evict("transformer_blocks." + i + ".");                             // weights streamed from the map
            if (taps != Taps.NONE) {
                taps.tap("block" + i + ".hidden", Layout.narrow(stream, 1, textLen, n));
                taps.tap("block" + i + ".encoder", Layout.narrow(stream, 1, 0, textLen));
            }
            afterBlocks(runContext, i + 1);
        }
        if (run) {
            embeds = seq.gather(stream);
            cache.blocksDone(embeds);
        } else {
            afterBlocks(runContext, blocks.size());
        }
        Tensor blocksOut = Layout.narrow(embeds, 1, textLen, n);                       // [B, N, D]
        Tensor hidden = normFinal.forward(blocksOut);                                  // video tokens only (semantics.md)
        Tensor normFinalOut = hidden;
        taps.tap("norm_final", hidden);

        // 4. final AdaLayerNorm: shift FIRST, then scale (semantics.md)
        Tensor mod = normOutLinear.forward(siluEmb);                                   // [B, 2D]
        Tensor shift = Layout.narrow(mod, 1, 0, cfg.innerDim());
        Tensor scale = Layout.narrow(mod, 1, cfg.innerDim(), cfg.innerDim());
        hidden = normOutNorm.forward(hidden);
        Ops.modulateInPlace(hidden, scale, shift);
        taps.tap("norm_out", hidden);
        tape.push(this, new Saved(textLen, emb, siluEmb, blocksOut, normFinalOut, mod, hidden));
        hidden = projOut.forward(hidden);                                              // [B, N, patch_out]
        taps.tap("proj_out", hidden);

        // 5. unpatchify: features ordered (c, [pt,] ph, pw)
        return unpatchify(hidden, b, f, h, w);
    }

    /** The run's cancellation check and progress after {@code done} blocks (parts of the caller's current item). */
    private void afterBlocks(RunContext run, int done) {
        run.cancel().throwIfCancelled();
        run.progress().onSubProgress(done, blocks.size());
    }

    /**
     * What a recording forward keeps for the output layers and the time embedding's backward: the text length, the
     * time embedding before and after the SiLU, the blocks' video output, {@code norm_final}'s output, the final
     * modulation {@code [B, 2D]} (shift, scale) and {@code proj_out}'s input.
     */
    public record Saved(int textLen, Tensor emb, Tensor siluEmb, Tensor blocksOut, Tensor normFinalOut, Tensor mod, Tensor projIn) {
    }

    /** The model's layers, for the training backward pass; {@code ofsEmbedding} is null but for the 1.5-I2V. */
    public record Layers(CogVideoXPatchEmbed patchEmbed, TimestepEmbedding timeEmbedding, TimestepEmbedding ofsEmbedding,
                         List<CogVideoXBlock> blocks, LayerNorm normFinal, Linear normOutLinear, LayerNorm normOutNorm, Linear projOut) {
    }

    public Layers layers() {
        return new Layers(patchEmbed, timeEmbedding, ofsEmbedding, List.copyOf(blocks), normFinal, normOutLinear, normOutNorm, projOut);
    }

    private Tensor unpatchify(Tensor x, int b, int f, int h, int w) {
        int p = cfg.patchSize(), c = cfg.outChannels();
        if (cfg.patchSizeT() == null) {
            Tensor y = x.reshape(b, f, h / p, w / p, c, p, p);
            return Layout.permute(y, 0, 1, 4, 2, 5, 3, 6).reshape(b, f, c, h, w);     // [B, F, C, H, W]
        }
        int pt = cfg.patchSizeT();
        Tensor y = x.reshape(b, f / pt, h / p, w / p, c, pt, p, p);
        return Layout.permute(y, 0, 1, 5, 4, 2, 6, 3, 7).reshape(b, f, c, h, w);      // [B, F, C, H, W]
    }

    /** Every shape rule of the reference, checked before any computation. */
    private void checkInputs(Tensor video, Tensor text, float[] timesteps, Embeddings.RotaryTable rope, float[] ofs) {
        if (video.rank() != 5) {
            throw new IllegalArgumentException("hidden_states must be [B, F, C, H, W] latents, got " + video);
        }
        int b = video.dim(0), f = video.dim(1), c = video.dim(2), h = video.dim(3), w = video.dim(4);
        int p = cfg.patchSize();
        if (c != cfg.inChannels()) {
            throw new IllegalArgumentException("hidden_states has " + c + " channels, the " + cfg.variant() + " transformer takes " + cfg.inChannels());
        }
        if (h % p != 0 || w % p != 0 || h == 0 || w == 0) {
            throw new IllegalArgumentException("latent size " + h + "x" + w + " is not a multiple of patch_size " + p
                    + " (video height and width must be multiples of " + 8 * p + ")");
        }
        if (cfg.patchSizeT() != null && f % cfg.patchSizeT() != 0) {
            throw new IllegalArgumentException(f + " latent frames is not a multiple of patch_size_t " + cfg.patchSizeT()
                    + " (the pipeline pads odd counts with one frame)");
        }
        if (f == 0) {
            throw new IllegalArgumentException("hidden_states has no frames");
        }
        if (text.rank() != 3 || text.dim(0) != b || text.dim(2) != cfg.textEmbedDim()) {
            throw new IllegalArgumentException("encoder_hidden_states must be [" + b + ", T, " + cfg.textEmbedDim() + "], got " + text);
        }
        boolean additivePositions = !cfg.useRotaryPositionalEmbeddings() || cfg.useLearnedPositionalEmbeddings();
        if (additivePositions && text.dim(1) != cfg.maxTextSeqLength()) {
            throw new IllegalArgumentException("this model's positional table has " + cfg.maxTextSeqLength()
                    + " text rows (max_text_seq_length); encoder_hidden_states has " + text.dim(1) + " tokens");
        }
        if (timesteps.length != b) {
            throw new IllegalArgumentException(timesteps.length + " timesteps for a batch of " + b);
        }
        int tokens = (cfg.patchSizeT() == null ? f : f / cfg.patchSizeT()) * (h / p) * (w / p);
        if (cfg.useRotaryPositionalEmbeddings()) {
            if (rope == null) {
                throw new IllegalArgumentException("the " + cfg.variant() + " transformer uses RoPE: pass image_rotary_emb (RotaryPositions.forLatents)");
            }
            if (rope.cos().dim(0) != tokens || rope.cos().dim(1) != cfg.attentionHeadDim()) {
                throw new IllegalArgumentException("RoPE table " + rope.cos() + " does not match " + tokens + " video tokens x head dim " + cfg.attentionHeadDim());
            }
        }
        if (cfg.ofsEmbedDim() != null && (ofs == null || ofs.length != 1)) {
            throw new IllegalArgumentException("the " + cfg.variant() + " transformer needs one ofs value");
        }
    }

    @Override
    public void close() {
        store.close();
    }
}
