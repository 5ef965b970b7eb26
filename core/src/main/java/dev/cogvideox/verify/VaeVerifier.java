package dev.cogvideox.verify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoX;
import dev.cogvideox.model.vae.DiagonalGaussianDistribution;
import dev.cogvideox.model.vae.VaeOptions;
import dev.cogvideox.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code vae} cases: {@code AutoencoderKLCogVideoX.encode} (posterior mean and logvar) and {@code decode}
 * (sample, plus the {@code decoder.mid_block} taps), with the tiling/slicing switches of the case's arguments.
 * The case's recorded {@code vae_state} (tile sizes, frame batches) is compared with ours as well.
 */
public final class VaeVerifier implements ComponentVerifier {
    private static final String MID_BLOCK_TAP = "out.dbg.decoder_mid_block_call.";

    @Override
    public String component() {
        return "vae";
    }

    @Override
    public void verify(GoldenCase c, Checker checker) {
        JsonNode args = c.spec().path("arguments");
        JsonNode state = c.spec().path("vae_state");
        String function = c.spec().path("function").asText();
        try (AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.load(c.modelDir().resolve("vae"))) {
            VaeOptions o = vae.defaultOptions().withTiling(args.has("enable_tiling")).withSlicing(args.path("enable_slicing").asBoolean(false));
            checkState(checker, state, o, vae.config().spatialCompressionRatio());
            if (function.startsWith("AutoencoderKLCogVideoX.decode")) {
                Tensor z = c.tensor(args.path("z").asText());
                List<Tensor> midBlock = new ArrayList<>();
                vae.setDebugTap((name, value) -> {
                    if (name.equals("decoder.mid_block")) {
                        midBlock.add(value.copy());
                    }
                });
                checker.check("out.sample", vae.decode(z, o));
                checkBatches(checker, state, "latent_frame_batches", z.dim(2), o.numLatentFramesBatchSize());
                List<String> expectedTaps = c.names(MID_BLOCK_TAP);
                if (!expectedTaps.isEmpty()) {
                    checker.checkEquals(MID_BLOCK_TAP + "count", expectedTaps.size(), midBlock.size());
                    for (int i = 0; i < Math.min(expectedTaps.size(), midBlock.size()); i++) {
                        checker.check(MID_BLOCK_TAP + i, midBlock.get(i));
                    }
                }
            } else if (function.startsWith("AutoencoderKLCogVideoX.encode")) {
                Tensor x = c.tensor(args.path("x").asText());
                DiagonalGaussianDistribution posterior = vae.encode(x, o);
                checker.check("out.mean", posterior.mean());
                checker.check("out.logvar", posterior.logvar());
                checkBatches(checker, state, "sample_frame_batches", x.dim(2), o.numSampleFramesBatchSize());
            } else {
                throw new IllegalArgumentException("vae case " + c.name() + ": unknown function '" + function + "'");
            }
        }
    }

    /** The reference's VAE settings recorded in the case against ours. */
    private static void checkState(Checker checker, JsonNode state, VaeOptions o, int ratio) {
        checkInt(checker, state, "num_latent_frames_batch_size", o.numLatentFramesBatchSize());
        checkInt(checker, state, "num_sample_frames_batch_size", o.numSampleFramesBatchSize());
        checkInt(checker, state, "tile_sample_min_height", o.tileSampleMinHeight());
        checkInt(checker, state, "tile_sample_min_width", o.tileSampleMinWidth());
        checkInt(checker, state, "tile_latent_min_height", o.tileLatentMinHeight(ratio));
        checkInt(checker, state, "tile_latent_min_width", o.tileLatentMinWidth(ratio));
        if (state.has("tile_overlap_factor_height")) {
            checker.checkEquals("vae_state.tile_overlap_factor_height", state.get("tile_overlap_factor_height").asDouble(), o.tileOverlapFactorHeight());
            checker.checkEquals("vae_state.tile_overlap_factor_width", state.get("tile_overlap_factor_width").asDouble(), o.tileOverlapFactorWidth());
        }
        if (state.has("use_tiling")) {
            checker.checkEquals("vae_state.use_tiling", state.get("use_tiling").asBoolean(), o.useTiling());
            checker.checkEquals("vae_state.use_slicing", state.get("use_slicing").asBoolean(), o.useSlicing());
        }
    }

    private static void checkInt(Checker checker, JsonNode state, String key, int ours) {
        if (state.has(key)) {
            checker.checkEquals("vae_state." + key, state.get(key).asInt(), ours);
        }
    }

    private static void checkBatches(Checker checker, JsonNode state, String key, int frames, int size) {
        if (!state.has(key)) {
            return;
        }
        List<List<Integer>> expected = new ArrayList<>();
        state.get(key).forEach(b -> expected.add(List.of(b.get(0).asInt(), b.get(1).asInt())));
        List<List<Integer>> ours = AutoencoderKLCogVideoX.frameBatches(frames, size).stream().map(b -> List.of(b[0], b[1])).toList();
        checker.checkEquals("vae_state." + key, expected, ours);
    }
}
