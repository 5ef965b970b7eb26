package dev.cogvideox.model.transformer;

/**
 * The RoPE table the pipeline builds for the transformer ({@code CogVideoXPipeline._prepare_rotary_positional_embeddings}):
 * 1.0 models fit the latent grid into the base grid ({@code sample_height/width / patch_size}) with a resize-crop
 * region and linspace positions; 1.5 models use integer positions that must fit in the base grid.
 */
public final class RotaryPositions {
    private RotaryPositions() {
    }

    /**
     * @param latentHeight latent rows (video height / 8)
     * @param latentWidth  latent columns
     * @param latentFrames latent frames given to the transformer (for 1.5: after padding to a multiple of p_t)
     */
    public static Embeddings.RotaryTable forLatents(CogVideoXTransformerConfig cfg, int latentHeight, int latentWidth, int latentFrames) {
        int p = cfg.patchSize();
        int gridH = latentHeight / p, gridW = latentWidth / p;
        int baseW = cfg.sampleWidth() / p, baseH = cfg.sampleHeight() / p;
        if (cfg.patchSizeT() == null) {
            int[][] crops = Embeddings.resizeCropRegionForGrid(gridH, gridW, baseW, baseH);
            return Embeddings.rotary3d(cfg.attentionHeadDim(), crops, gridH, gridW, latentFrames, Embeddings.GridType.LINSPACE, 0, 0);
        }
        int frames = (latentFrames + cfg.patchSizeT() - 1) / cfg.patchSizeT();
        return Embeddings.rotary3d(cfg.attentionHeadDim(), null, gridH, gridW, frames, Embeddings.GridType.SLICE, baseH, baseW);
    }
}
