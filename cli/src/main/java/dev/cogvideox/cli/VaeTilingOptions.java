package dev.cogvideox.cli;

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
            + "Tiles default to half the VAE config's sample size (240x360 px for the published models).")
    boolean on;

    @Option(names = "--vae-tile", paramLabel = "HxW", description = "Tile size in pixels, e.g. 256x256 (implies --vae-tiling); "
            + "smaller tiles use less memory.")
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
