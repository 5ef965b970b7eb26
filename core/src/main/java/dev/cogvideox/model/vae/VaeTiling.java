package dev.cogvideox.model.vae;

/**
 * Whether and how a VAE call tiles: off, or diffusers' {@code enable_tiling(tile_sample_min_height,
 * tile_sample_min_width, tile_overlap_factor_height, tile_overlap_factor_width)} with any subset of its arguments
 * (null = not passed). {@link #applyTo} gives the resulting {@link VaeOptions}.
 *
 * @param enabled                 tile at all ({@code enable_tiling} called)
 * @param tileSampleMinHeight     tile height in pixels, or null for the VAE's current one ({@code sample_height / 2})
 * @param tileSampleMinWidth      tile width in pixels, or null
 * @param tileOverlapFactorHeight share of a tile's height that overlaps the next tile, in [0, 1), or null (1/6)
 * @param tileOverlapFactorWidth  share of a tile's width that overlaps the next tile, in [0, 1), or null (1/5)
 */
public record VaeTiling(boolean enabled, Integer tileSampleMinHeight, Integer tileSampleMinWidth,
                        Double tileOverlapFactorHeight, Double tileOverlapFactorWidth) {
    /** No tiling: the whole frame at once. */
    public static final VaeTiling OFF = new VaeTiling(false, null, null, null, null);
    /** {@code enable_tiling()}: tiles of half the VAE config's sample size, overlaps 1/6 and 1/5. */
    public static final VaeTiling DEFAULT = new VaeTiling(true, null, null, null, null);

    public VaeTiling {
        if (!enabled && (tileSampleMinHeight != null || tileSampleMinWidth != null || tileOverlapFactorHeight != null
                || tileOverlapFactorWidth != null)) {
            throw new IllegalArgumentException("tile sizes or overlaps given with tiling off");
        }
        if (tileSampleMinHeight != null && tileSampleMinHeight < 1 || tileSampleMinWidth != null && tileSampleMinWidth < 1) {
            throw new IllegalArgumentException("VAE tile sizes must be positive pixel counts, got " + tileSampleMinHeight + "x" + tileSampleMinWidth);
        }
        for (Double f : new Double[] {tileOverlapFactorHeight, tileOverlapFactorWidth}) {
            if (f != null && !(f >= 0 && f < 1)) {
                throw new IllegalArgumentException("VAE tile overlap must lie in [0, 1) (a share of the tile), got " + f);
            }
        }
    }

    /** {@link #OFF} or {@link #DEFAULT}. */
    public static VaeTiling of(boolean on) {
        return on ? DEFAULT : OFF;
    }

    /** {@code enable_tiling(height, width, overlapHeight, overlapWidth)}; nulls keep the VAE's current values. */
    public static VaeTiling tiles(Integer height, Integer width, Double overlapHeight, Double overlapWidth) {
        return new VaeTiling(true, height, width, overlapHeight, overlapWidth);
    }

    /** The options after this call on a VAE whose options were {@code current}. */
    public VaeOptions applyTo(VaeOptions current) {
        return enabled ? current.enableTiling(tileSampleMinHeight, tileSampleMinWidth, tileOverlapFactorHeight, tileOverlapFactorWidth)
                : current.withTiling(false);
    }

    /** A short description for logs and the memory plan, e.g. {@code tiles 240x360 px, overlap 1/6 x 1/5 (default)}. */
    public String describe(VaeOptions resolved) {
        if (!enabled) {
            return "no tiling";
        }
        return String.format("tiles %dx%d px, overlap %.3g x %.3g", resolved.tileSampleMinHeight(), resolved.tileSampleMinWidth(),
                resolved.tileOverlapFactorHeight(), resolved.tileOverlapFactorWidth());
    }
}
