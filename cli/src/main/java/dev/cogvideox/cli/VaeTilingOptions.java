package dev.cogvideox.cli;

import dev.cogvideox.model.vae.AutoencoderKLCogVideoX;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoXConfig;
import dev.cogvideox.model.vae.VaeOptions;
import dev.cogvideox.model.vae.VaeTiling;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The VAE tiling options of {@code generate} and {@code decode}: diffusers' {@code enable_tiling(...)} with its tile
 * size and overlap. Smaller tiles need less memory and take longer (more overlap is decoded twice).
 */
final class VaeTilingOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--vae-tiling", description = "Decode (and encode) in overlapping spatial tiles: bounded memory, a little slower. "
            + "Tiles default to half the VAE config's sample size (240x360 px for the published models) (default: off).")
    boolean on;

    @Option(names = "--vae-tile", paramLabel = "HxW", description = "Tile size in pixels, e.g. 256x256 (implies --vae-tiling); "
            + "smaller tiles use less memory (default: half the VAE config's sample size).")
    String tile;

    @Option(names = "--vae-tile-overlap", paramLabel = "F[xF]", description = "Share of a tile that overlaps its neighbour, "
            + "in (0, 1), height x width or one value for both (implies --vae-tiling; default 1/6 x 1/5).")
    String overlap;

    /** The tiling these options ask for. */
    VaeTiling tiling() {
        if (!on && tile == null && overlap == null) {
            return VaeTiling.OFF;
        }
        Integer h = null, w = null;
        Double oh = null, ow = null;
        if (tile != null) {
            int[] hw = pair(tile, "--vae-tile", "a tile size in pixels such as 256x256");
            h = hw[0];
            w = hw[1];
        }
        if (overlap != null) {
            String[] parts = overlap.toLowerCase().split("x", -1);
            if (parts.length > 2) {
                throw bad("--vae-tile-overlap", overlap, "one share, or height x width shares, such as 0.2 or 0.2x0.25");
            }
            oh = share(parts[0]);
            ow = parts.length == 2 ? share(parts[1]) : oh;
        }
        try {
            return VaeTiling.tiles(h, w, oh, ow);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /**
     * {@link #tiling()} checked against the frame it will decode: diffusers' tiled decode returns frames of another size
     * when the tiles' kept parts do not add up to the frame (e.g. 24-pixel tiles with overlap 0.2 make a 64-pixel-wide
     * frame 76 wide). The library does what diffusers does; the command line refuses and names a tile that fits.
     */
    VaeTiling tiling(AutoencoderKLCogVideoXConfig vae, int height, int width) {
        VaeTiling tiling = tiling();
        if (!tiling.enabled()) {
            return tiling;
        }
        int ratio = vae.spatialCompressionRatio();
        VaeOptions o = tiling.applyTo(VaeOptions.defaults(vae));
        int[] got;
        try {
            got = AutoencoderKLCogVideoX.decodedSize(vae, height / ratio, width / ratio, o);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage() + "; use larger tiles (--vae-tile) or less overlap");
        }
        if (got[0] != height || got[1] != width) {
            throw new ParameterException(spec.commandLine(), "VAE tiles of " + o.tileSampleMinHeight() + "x" + o.tileSampleMinWidth()
                    + " px with overlap " + String.format("%.3g x %.3g", o.tileOverlapFactorHeight(), o.tileOverlapFactorWidth())
                    + " would decode a " + height + "x"
                    + width + " video into " + got[0] + "x" + got[1] + " frames (diffusers' tiled decode does the same: the tiles' kept "
                    + "parts do not add up to the frame); try --vae-tile " + fitting(vae, o, height, width));
        }
        return tiling;
    }

    /** The nearest tile size (multiples of 8 around the chosen one) whose decode keeps the frame's size. */
    private static String fitting(AutoencoderKLCogVideoXConfig vae, VaeOptions o, int height, int width) {
        int ratio = vae.spatialCompressionRatio();
        int[] best = {o.tileSampleMinHeight(), o.tileSampleMinWidth()};
        for (int axis = 0; axis < 2; axis++) {
            int chosen = axis == 0 ? o.tileSampleMinHeight() : o.tileSampleMinWidth();
            for (int d = 0; d < 512; d += ratio) {
                int found = -1;
                for (int t : new int[] {chosen + d, chosen - d}) {
                    if (t < ratio) {
                        continue;
                    }
                    VaeOptions c = axis == 0 ? o.enableTiling(t, null, null, null) : o.enableTiling(null, t, null, null);
                    try {
                        int[] got = AutoencoderKLCogVideoX.decodedSize(vae, height / ratio, width / ratio, c);
                        if (got[axis] == (axis == 0 ? height : width)) {
                            found = t;
                            break;
                        }
                    } catch (IllegalArgumentException e) {
                        // too small for its overlap: keep looking
                    }
                }
                if (found > 0) {
                    best[axis] = found;
                    break;
                }
            }
        }
        return best[0] + "x" + best[1];
    }

    private double share(String s) {
        double v;
        try {
            v = Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            throw bad("--vae-tile-overlap", overlap, "a share of the tile in (0, 1), such as 0.2");
        }
        // diffusers' enable_tiling reads 0 as "keep the current overlap" (value or default): say so rather than surprise
        if (!(v > 0 && v < 1)) {
            throw bad("--vae-tile-overlap", overlap, "a share in (0, 1); 0 is not possible (diffusers' enable_tiling keeps its "
                    + "default overlap for 0), and without overlap the tiles' seams would show");
        }
        return v;
    }

    private int[] pair(String value, String option, String expected) {
        String[] parts = value.toLowerCase().split("x", -1);
        try {
            if (parts.length == 2) {
                int a = Integer.parseInt(parts[0].trim()), b = Integer.parseInt(parts[1].trim());
                if (a >= 8 && b >= 8) {
                    return new int[] {a, b};
                }
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(option, value, expected + " (at least 8x8, one latent)");
    }

    private ParameterException bad(String option, String value, String expected) {
        return new ParameterException(spec.commandLine(), "Invalid value for option '" + option + "': '" + value + "': expected " + expected);
    }
}
