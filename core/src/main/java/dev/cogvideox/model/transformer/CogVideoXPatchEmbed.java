package dev.cogvideox.model.transformer;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.Tape;
import dev.cogvideox.model.Taps;
import dev.cogvideox.model.nn.Linear;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

/**
 * diffusers' {@code CogVideoXPatchEmbed}: text projection, video patchification (a p x p stride-p Conv2d per
 * frame for 1.0, a Linear over (c, pt, ph, pw) patches for 1.5) and the additive positional embedding
 * (3D sincos for 2b, the learned table for 5b-I2V, none for RoPE models).
 */
public final class CogVideoXPatchEmbed {
    private final CogVideoXTransformerConfig cfg;
    private final Linear textProj;
    private final Weight proj;
    private final Weight projBias;
    private final Tensor learnedPosEmbedding;
    private final Kernels kernels;

    CogVideoXPatchEmbed(CogVideoXTransformerConfig cfg, WeightStore store) {
        this.cfg = cfg;
        this.kernels = store.kernels();
        int d = cfg.innerDim(), p = cfg.patchSize(), c = cfg.inChannels();
        this.textProj = Linear.load(store, "patch_embed.text_proj", cfg.textEmbedDim(), d, true);
        if (cfg.patchSizeT() == null) {
            // Conv2d weight [D, C, p, p] is a matrix [D, C*p*p] over features ordered (c, ph, pw).
            this.proj = store.weight("patch_embed.proj.weight", d, c, p, p).reshape(d, c * p * p);
            this.projBias = cfg.patchBias() ? store.weight("patch_embed.proj.bias", d) : null;
        } else {
            this.proj = store.weight("patch_embed.proj.weight", d, c * p * p * cfg.patchSizeT());
            // The 1.5 Linear always has a bias: patch_bias=false is ignored on this path (semantics.md).
            this.projBias = store.weight("patch_embed.proj.bias", d);
        }
        if (cfg.useLearnedPositionalEmbeddings()) {
            int tokens = cfg.maxTextSeqLength() + (cfg.sampleHeight() / p) * (cfg.sampleWidth() / p)
                    * ((cfg.sampleFrames() - 1) / cfg.temporalCompressionRatio() + 1);
            this.learnedPosEmbedding = store.tensor("patch_embed.pos_embedding", 1, tokens, d);
        } else {
            this.learnedPosEmbedding = null;
        }
    }

    /**
     * @param text  {@code [B, T, text_embed_dim]}
     * @param video {@code [B, F, C, H, W]} latents (F divisible by p_t for 1.5)
     * @param taps  receives {@code pos_embedding}, the positional table added (when the model has one)
     * @return {@code [B, T + F' * H/p * W/p, D]}, text tokens first
     */
    Tensor forward(Tensor text, Tensor video, Taps taps, Tape tape) {
        int b = video.dim(0), f = video.dim(1), c = video.dim(2), h = video.dim(3), w = video.dim(4);
        int p = cfg.patchSize();
        Tensor textEmbeds = textProj.forward(text);                                       // [B, T, D]
        Tensor patches = patchify(cfg, video);                                            // [B, N, C*p*p(*pt)]
        Tensor imageEmbeds = kernels.linear(patches, proj, projBias);                      // [B, N, D]
        tape.push(this, new Saved(text, patches));
        Tensor embeds = Layout.cat(1, textEmbeds, imageEmbeds);                           // [B, T + N, D]
        Tensor pos = positionalEmbedding(cfg, learnedPosEmbedding, h, w, f, text.dim(1));
        if (pos != null) {
            taps.tap("pos_embedding", pos.reshape(1, pos.dim(0), pos.dim(1)));
            Ops.addRowsInPlace(embeds.reshape(b, 1, -1), pos.reshape(-1));   // same table for every sample
        }
        return embeds;
    }

    /** What a recording forward keeps: the inputs of the two projections. */
    public record Saved(Tensor text, Tensor patches) {
    }

    public Linear textProj() {
        return textProj;
    }

    /** The patch projection as a matrix {@code [D, C*p*p(*pt)]} (the 1.0 Conv2d kernel seen flat) and its bias (or null). */
    public Linear proj() {
        return new Linear(proj, projBias, kernels);
    }

    /**
     * The patches the projection sees: {@code [B, F, C, H, W] -> [B, N, C*p*p]} with features (c, ph, pw) for 1.0
     * models, {@code [B, N, C*pt*p*p]} with features (c, pt, ph, pw) for 1.5 (semantics.md); tokens ordered (frame,
     * patch row, patch column).
     */
    public static Tensor patchify(CogVideoXTransformerConfig cfg, Tensor video) {
        int b = video.dim(0), f = video.dim(1), c = video.dim(2), h = video.dim(3), w = video.dim(4);
        int p = cfg.patchSize();
        if (cfg.patchSizeT() == null) {
            Tensor x = video.reshape(b, f, c, h / p, p, w / p, p);
            return Layout.permute(x, 0, 1, 3, 5, 2, 4, 6)                                 // [B, F, H/p, W/p, C, p, p]
                    .reshape(b, f * (h / p) * (w / p), c * p * p);
        }
        int pt = cfg.patchSizeT();
        Tensor x = video.reshape(b, f / pt, pt, c, h / p, p, w / p, p);
        return Layout.permute(x, 0, 1, 4, 6, 3, 2, 5, 7)                                  // [B, F/pt, H/p, W/p, C, pt, p, p]
                .reshape(b, (f / pt) * (h / p) * (w / p), c * pt * p * p);
    }

    /**
     * {@code [T + N, D]} to add to every sample, or null for RoPE-only models.
     *
     * @param learned the stored {@code patch_embed.pos_embedding [1, T + N, D]} of a 5b-I2V model, else null
     */
    public static Tensor positionalEmbedding(CogVideoXTransformerConfig cfg, Tensor learned, int h, int w, int frames, int textLen) {
        boolean sincos = !cfg.useRotaryPositionalEmbeddings();
        if (!sincos && !cfg.useLearnedPositionalEmbeddings()) {
            return null;
        }
        int preFrames = (frames - 1) * cfg.temporalCompressionRatio() + 1;
        if (cfg.useLearnedPositionalEmbeddings()) {
            if (h != cfg.sampleHeight() || w != cfg.sampleWidth()) {
                throw new IllegalArgumentException("this model has learned positional embeddings and only takes latents of "
                        + cfg.sampleHeight() + "x" + cfg.sampleWidth() + " (video " + cfg.sampleHeight() * 8 + "x" + cfg.sampleWidth() * 8
                        + "), got " + h + "x" + w);
            }
            if (preFrames == cfg.sampleFrames()) {
                return learned.reshape(-1, cfg.innerDim());
            }
            // A different frame count silently switches to freshly computed sincos (semantics.md).
        }
        int p = cfg.patchSize();
        int d = cfg.innerDim();
        int latentFrames = (preFrames - 1) / cfg.temporalCompressionRatio() + 1;
        Tensor grid = Embeddings.sincos3d(d, w / p, h / p, latentFrames,
                cfg.spatialInterpolationScale(), cfg.temporalInterpolationScale());      // [F, H/p*W/p, D]
        // Text rows are zeros: the table length is max_text_seq_length + N (checked by the model).
        return Layout.cat(0, Tensor.zeros(textLen, d), grid.reshape(-1, d));
    }
}
