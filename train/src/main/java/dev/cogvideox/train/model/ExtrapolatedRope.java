package dev.cogvideox.train.model;

import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.model.transformer.Embeddings;

/**
 * The RoPE table of one training clip, with positions <em>extrapolated</em>: integer positions {@code 0, 1, ..., n-1}
 * on every axis of the clip's own latent grid (frames after {@code patch_size_t}, rows and columns of patches),
 * whatever the model's base grid ({@code sample_height/width / patch_size}).
 *
 * <p>Why: the paper ("Resolution Progressive Training", Extrapolation of Position Code, fig. 7) compares two ways of
 * taking a RoPE trained at a low resolution to a higher one: interpolation (squeeze the larger grid into the
 * positions of the base grid: what diffusers' {@code _prepare_rotary_positional_embeddings} does for 1.0 models with
 * its resize-crop region and linspace) keeps the global position but blurs detail; extrapolation (extend the
 * integer grid) keeps the relative distance between neighbouring patches, which is what a relative code like RoPE
 * encodes, and gives sharper detail. CogVideoX chose extrapolation, and so do we: a patch is one position away from
 * its neighbour at every stage of a progressive run, and the larger grid of a later stage only adds positions.
 * At the base grid the table is the pipeline's (linspace over a full crop region is the integer grid), so a model
 * trained here at its base resolution sees the positions inference uses. Each clip of a packed batch gets its own
 * table, so positions restart at 0 for every clip.
 */
public final class ExtrapolatedRope {
    private ExtrapolatedRope() {
    }

    /** The table for latents of {@code latentFrames x latentHeight x latentWidth} (frames after any 1.5 padding). */
    public static Embeddings.RotaryTable forLatents(CogVideoXTransformerConfig cfg, int latentFrames, int latentHeight, int latentWidth) {
        int p = cfg.patchSize(), pt = cfg.patchSizeT() == null ? 1 : cfg.patchSizeT();
        int gridH = latentHeight / p, gridW = latentWidth / p, frames = (latentFrames + pt - 1) / pt;
        return Embeddings.rotary3d(cfg.attentionHeadDim(), null, gridH, gridW, frames, Embeddings.GridType.SLICE, gridH, gridW);
    }
}
