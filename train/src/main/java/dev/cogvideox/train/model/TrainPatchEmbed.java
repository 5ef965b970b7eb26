package dev.cogvideox.train.model;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.transformer.CogVideoXPatchEmbed;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.model.transformer.Embeddings;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;

/**
 * Training twin of {@code CogVideoXPatchEmbed} ({@code patch_embed}): text projection, patchification (the 1.0
 * Conv2d seen as a Linear over features (c, ph, pw), the 1.5 Linear over (c, pt, ph, pw)) and the additive
 * positional table (3D sincos for 2b, the learned buffer for 5b-I2V at its config size, none for RoPE models).
 * The inputs are data, so the backward pass produces parameter gradients only.
 */
final class TrainPatchEmbed {
    private final CogVideoXTransformerConfig cfg;
    private final TrainLinear textProj;
    private final TrainLinear proj;
    private final Tensor learnedPosEmbedding;

    TrainPatchEmbed(CogVideoXTransformerConfig cfg, Parameters params, WeightStore store) {
        this.cfg = cfg;
        int d = cfg.innerDim(), p = cfg.patchSize(), c = cfg.inChannels();
        this.textProj = TrainLinear.load(params, store, "patch_embed.text_proj", cfg.textEmbedDim(), d, true);
        if (cfg.patchSizeT() == null) {
            this.proj = new TrainLinear(params.load(store, "patch_embed.proj.weight", d, c, p, p),
                    cfg.patchBias() ? params.load(store, "patch_embed.proj.bias", d) : null, c * p * p, d);
        } else {
            // The 1.5 Linear always has a bias: patch_bias=false is ignored on this path (semantics.md).
            this.proj = TrainLinear.load(params, store, "patch_embed.proj", c * p * p * cfg.patchSizeT(), d, true);
        }
        if (cfg.useLearnedPositionalEmbeddings()) {
            int tokens = cfg.maxTextSeqLength() + (cfg.sampleHeight() / p) * (cfg.sampleWidth() / p)
                    * ((cfg.sampleFrames() - 1) / cfg.temporalCompressionRatio() + 1);
            this.learnedPosEmbedding = store.tensor("patch_embed.pos_embedding", 1, tokens, d);     // a buffer: no gradient
        } else {
            this.learnedPosEmbedding = null;
        }
    }

    /** What the backward pass needs: the projections' inputs. */
    record Tape(Tensor text, Tensor patches) {
    }

    /** Output {@code [B, T + N, D]} (text tokens first) and its tape. */
    record Output(Tensor embeds, Tape tape) {
    }

    /**
     * @param text  {@code [B, T, text_embed_dim]}
     * @param video {@code [B, F, C, H, W]} latents
     */
    Output forward(Tensor text, Tensor video) {
        int b = video.dim(0), f = video.dim(1), h = video.dim(3), w = video.dim(4);
        Tensor patches = CogVideoXPatchEmbed.patchify(cfg, video);                             // [B, N, C*p*p(*pt)]
        Tensor embeds = Layout.cat(1, textProj.forward(text), proj.forward(patches));          // [B, T + N, D]
        Tensor pos = CogVideoXPatchEmbed.positionalEmbedding(cfg, learnedPosEmbedding, h, w, f, text.dim(1));
        if (pos != null) {
            Ops.addRowsInPlace(embeds.reshape(b, 1, -1), pos.reshape(-1));                     // same table for every sample
        }
        return new Output(embeds, new Tape(text, patches));
    }

    /** Accumulates the gradients of the two projections from {@code dEmbeds [B, T + N, D]}. */
    void backward(Tape tape, Tensor dEmbeds) {
        int t = tape.text().dim(1), n = tape.patches().dim(1);
        textProj.backward(tape.text(), Layout.narrow(dEmbeds, 1, 0, t), false);
        proj.backward(tape.patches(), Layout.narrow(dEmbeds, 1, t, n), false);
    }
}
