package dev.cogvideox.model.vae;

import dev.cogvideox.io.JsonConfig;
import dev.cogvideox.io.ModelFormatException;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

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
        if (blockOutChannels.length < 1) {
            throw new IllegalArgumentException("block_out_channels must not be empty");
        }
        for (int c : blockOutChannels) {
            if (c % normNumGroups != 0) {
                throw new IllegalArgumentException("block_out_channels " + Arrays.toString(blockOutChannels)
                        + " must be multiples of norm_num_groups " + normNumGroups);
            }
        }
        if (Integer.bitCount(temporalCompressionRatio) != 1) {
            throw new IllegalArgumentException("temporal_compression_ratio must be a power of two, got " + temporalCompressionRatio);
        }
        if (layersPerBlock < 1 || inChannels < 1 || outChannels < 1 || latentChannels < 1) {
            throw new IllegalArgumentException("channel counts and layers_per_block must be positive");
        }
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
        if (tcr != Math.rint(tcr)) {
            throw new ModelFormatException(c.source() + ": temporal_compression_ratio must be an integer, got " + tcr);
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
