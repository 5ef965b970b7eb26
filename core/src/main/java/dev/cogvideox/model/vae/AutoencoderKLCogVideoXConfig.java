package dev.cogvideox.model.vae;

import dev.cogvideox.io.JsonConfig;
import dev.cogvideox.io.ModelFormatException;

import java.nio.file.Path;
import java.util.List;

import static dev.cogvideox.io.ConfigRange.intIn;
import static dev.cogvideox.io.ConfigRange.multipleOf;
import static dev.cogvideox.io.ConfigRange.positive;

/**
 * {@code vae/config.json} of {@code AutoencoderKLCogVideoX}, with the reference's defaults (the published
 * model: block_out_channels 128/256/256/512, layers_per_block 3, norm_num_groups 32). {@code sample_height} and
 * {@code sample_width} only set the default tile size ({@link VaeOptions#defaults}).
 */
public record AutoencoderKLCogVideoXConfig(
        int inChannels,
        int outChannels,
        int[] blockOutChannels,
        int latentChannels,
        int layersPerBlock,
        float normEps,
        int normNumGroups,
        int temporalCompressionRatio,
        int sampleHeight,
        int sampleWidth,
        double scalingFactor,
        boolean invertScaleLatents) {

    public AutoencoderKLCogVideoXConfig {
        blockOutChannels = blockOutChannels.clone();
        intIn("in_channels", inChannels, 1, 64, "channels of the video; 3 (RGB)");
        intIn("out_channels", outChannels, 1, 64, "channels of the decoded video; 3 (RGB)");
        intIn("block_out_channels (its length)", blockOutChannels.length, 1, 8, "one entry per down/up block; 4 entries, 128/256/256/512");
        intIn("latent_channels", latentChannels, 1, 1024, "channels of a latent; 16");
        intIn("layers_per_block", layersPerBlock, 1, 64, "ResNet layers per block; 3");
        intIn("norm_num_groups", normNumGroups, 1, 1024, "GroupNorm groups; 32");
        for (int c : blockOutChannels) {
            intIn("block_out_channels", c, 1, 65536, "channels of each block; 128/256/256/512");
            multipleOf("block_out_channels", c, normNumGroups, "norm_num_groups", "GroupNorm splits every block's channels into the groups");
        }
        positive("norm_eps", normEps, 1, "the GroupNorms' epsilon; 1e-6");
        intIn("temporal_compression_ratio", temporalCompressionRatio, 1, 1 << (blockOutChannels.length - 1),
                "video frames per latent frame, one halving per down block; 4");
        if (Integer.bitCount(temporalCompressionRatio) != 1) {
            throw new IllegalArgumentException("key 'temporal_compression_ratio' is " + temporalCompressionRatio
                    + ", must be a power of two (each compressing block halves the frames); 4 in every CogVideoX VAE");
        }
        intIn("sample_height", sampleHeight, 1, 16384, "the trained video height in pixels, which sets the default tile; 480, 768 for 1.5");
        intIn("sample_width", sampleWidth, 1, 16384, "the trained video width in pixels, which sets the default tile; 720, 1360 for 1.5");
        positive("scaling_factor", scalingFactor, 1e6, "the latents' scale; 1.15258426 (2b), 0.7 (5b, 1.5)");
    }

    @Override
    public int[] blockOutChannels() {
        return blockOutChannels.clone();
    }

    /** Pixels per latent along height and width: {@code 2^(len(block_out_channels) - 1)} (8 for CogVideoX). */
    public int spatialCompressionRatio() {
        return 1 << (blockOutChannels.length - 1);
    }

    /** Number of down/up blocks that also compress time: {@code log2(temporal_compression_ratio)}. */
    public int temporalCompressLevel() {
        return Integer.numberOfTrailingZeros(temporalCompressionRatio);
    }

    /** Reads {@code config.json}; unsupported variants (quant convs, other block types or activations) are errors. */
    public static AutoencoderKLCogVideoXConfig read(Path file) {
        JsonConfig c = JsonConfig.read(file);
        int[] blocks = c.getIntArray("block_out_channels", new int[] {128, 256, 256, 512});
        requireAll(c, "down_block_types", "CogVideoXDownBlock3D", blocks.length);
        requireAll(c, "up_block_types", "CogVideoXUpBlock3D", blocks.length);
        String act = c.getString("act_fn", "silu");
        if (!act.equals("silu")) {
            throw new ModelFormatException(c.source() + ": act_fn '" + act + "' is not supported (CogVideoX uses silu)");
        }
        if (c.getBool("use_quant_conv", false) || c.getBool("use_post_quant_conv", false)) {
            throw new ModelFormatException(c.source() + ": use_quant_conv / use_post_quant_conv are not supported (false in every CogVideoX VAE)");
        }
        double tcr = c.getDouble("temporal_compression_ratio", 4);
        if (tcr != Math.rint(tcr) || Math.abs(tcr) > 1 << 20) {
            throw new ModelFormatException(c.source() + ": key 'temporal_compression_ratio' is " + tcr + ", must be an integer (4 in every CogVideoX VAE)");
        }
        try {
            return new AutoencoderKLCogVideoXConfig(
                    c.getInt("in_channels", 3),
                    c.getInt("out_channels", 3),
                    blocks,
                    c.getInt("latent_channels", 16),
                    c.getInt("layers_per_block", 3),
                    (float) c.getDouble("norm_eps", 1e-6),
                    c.getInt("norm_num_groups", 32),
                    (int) tcr,
                    c.getInt("sample_height", 480),
                    c.getInt("sample_width", 720),
                    c.getDouble("scaling_factor", 1.15258426),
                    c.getBool("invert_scale_latents", false));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(c.source() + ": " + e.getMessage(), e);
        }
    }

    private static void requireAll(JsonConfig c, String key, String type, int count) {
        List<String> types = c.has(key) ? c.getStringList(key) : java.util.Collections.nCopies(count, type);
        if (types.size() != count || types.stream().anyMatch(t -> !t.equals(type))) {
            throw new ModelFormatException(c.source() + ": " + key + " must be " + count + " x " + type + ", found " + types);
        }
    }
}
