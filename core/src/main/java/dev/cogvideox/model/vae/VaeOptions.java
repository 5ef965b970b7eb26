package dev.cogvideox.model.vae;

/**
 * How {@link AutoencoderKLCogVideoX} splits its work: the reference's {@code use_tiling}, {@code use_slicing},
 * tile sizes and overlap factors, and the frame batch sizes. {@link #defaults} gives the reference's values after
 * construction: no tiling, tiles of {@code sample_height/2 x sample_width/2} pixels, overlaps 1/6 and 1/5,
 * 8 frames per encoder batch, 2 latent frames per decoder batch.
 *
 * <p>{@code useSlicing} is kept for parity with the reference and does not change anything here: this
 * implementation always runs one sample at a time, which the reference shows gives the same numbers
 * (semantics.md, VAE: slicing does not change the math).
 */
public record VaeOptions(
        boolean useTiling,
        boolean useSlicing,
        int tileSampleMinHeight,
        int tileSampleMinWidth,
        double tileOverlapFactorHeight,
        double tileOverlapFactorWidth,
        int numSampleFramesBatchSize,
        int numLatentFramesBatchSize) {

    public VaeOptions {
        if (tileSampleMinHeight < 1 || tileSampleMinWidth < 1) {
            throw new IllegalArgumentException("tile sizes must be positive: " + tileSampleMinHeight + "x" + tileSampleMinWidth);
        }
        if (!(tileOverlapFactorHeight >= 0 && tileOverlapFactorHeight < 1 && tileOverlapFactorWidth >= 0 && tileOverlapFactorWidth < 1)) {
            throw new IllegalArgumentException("tile overlap factors must lie in [0, 1): " + tileOverlapFactorHeight + ", " + tileOverlapFactorWidth);
        }
        if (numSampleFramesBatchSize < 1 || numLatentFramesBatchSize < 1) {
            throw new IllegalArgumentException("frame batch sizes must be positive");
        }
    }

    /** The reference's state right after loading a VAE with {@code config}. */
    public static VaeOptions defaults(AutoencoderKLCogVideoXConfig config) {
        return new VaeOptions(false, false, config.sampleHeight() / 2, config.sampleWidth() / 2, 1.0 / 6, 1.0 / 5, 8, 2);
    }

    /** {@code enable_tiling()} / {@code disable_tiling()} keeping the current tile sizes. */
    public VaeOptions withTiling(boolean on) {
        return new VaeOptions(on, useSlicing, tileSampleMinHeight, tileSampleMinWidth, tileOverlapFactorHeight, tileOverlapFactorWidth,
                numSampleFramesBatchSize, numLatentFramesBatchSize);
    }

    /**
     * {@code enable_tiling(tile_sample_min_height, tile_sample_min_width, tile_overlap_factor_height,
     * tile_overlap_factor_width)}: tiling on, each argument replacing the current value when given. As in the reference
     * ({@code value or self.value}), a null OR a zero keeps the current value: {@code enable_tiling(..., 0.0, 0.0)} keeps
     * the overlaps at 1/6 and 1/5, it does not turn them off.
     */
    public VaeOptions enableTiling(Integer height, Integer width, Double overlapHeight, Double overlapWidth) {
        return new VaeOptions(true, useSlicing, orCurrent(height, tileSampleMinHeight), orCurrent(width, tileSampleMinWidth),
                orCurrent(overlapHeight, tileOverlapFactorHeight), orCurrent(overlapWidth, tileOverlapFactorWidth),
                numSampleFramesBatchSize, numLatentFramesBatchSize);
    }

    private static int orCurrent(Integer given, int current) {
        return given == null || given == 0 ? current : given;
    }

    private static double orCurrent(Double given, double current) {
        return given == null || given == 0 ? current : given;
    }

    /** {@code enable_slicing()} / {@code disable_slicing()}. */
    public VaeOptions withSlicing(boolean on) {
        return new VaeOptions(useTiling, on, tileSampleMinHeight, tileSampleMinWidth, tileOverlapFactorHeight, tileOverlapFactorWidth,
                numSampleFramesBatchSize, numLatentFramesBatchSize);
    }

    /** {@code int(tile_sample_min_height / spatial_compression_ratio)}. */
    public int tileLatentMinHeight(int spatialCompressionRatio) {
        return (int) (tileSampleMinHeight / (double) spatialCompressionRatio);
    }

    /** {@code int(tile_sample_min_width / spatial_compression_ratio)}. */
    public int tileLatentMinWidth(int spatialCompressionRatio) {
        return (int) (tileSampleMinWidth / (double) spatialCompressionRatio);
    }
}
