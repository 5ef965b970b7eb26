package dev.cogvideox.verify;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoX;
import dev.cogvideox.model.vae.DiagonalGaussianDistribution;
import dev.cogvideox.model.vae.VaeOptions;
import dev.cogvideox.model.vae.VaeTiling;
import dev.cogvideox.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code vae} cases: {@code AutoencoderKLCogVideoX.encode} (posterior mean and logvar) and {@code decode}
 * (sample, plus the {@code decoder.mid_block} taps), after the case's {@code enable_tiling(...)} (with whichever of its
 * four arguments the case passes) and {@code enable_slicing()}. Every field of the recorded {@code vae_state} (tile
 * sizes, frame batches, how many encoder/decoder calls and their output shapes) is compared with ours.
 */
public final class VaeVerifier implements ComponentVerifier {
    private static final String MID_BLOCK_TAP = "out.dbg.decoder_mid_block_call.";

    @Override
    public String component() {
        return "vae";
    }

    @Override
    public void verify(GoldenCase c, Checker checker) {
        SpecNode args = c.arguments();
        SpecNode state = c.read("vae_state");
        String function = c.function();
        Implemented.returnDict(args);
        try (AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.load(c.modelDir().resolve("vae"))) {
            VaeOptions o = tiling(args.get("enable_tiling")).applyTo(vae.defaultOptions())
                    .withSlicing(args.get("enable_slicing").asBoolean(false));
            checkState(checker, state, o, vae.config().spatialCompressionRatio());
            List<int[]> callShapes = new ArrayList<>();
            List<Tensor> midBlock = new ArrayList<>();
            RunContext run = RunContext.NONE.withTaps((name, value) -> {
                if (name.equals("decoder.mid_block")) {
                    midBlock.add(value.copy());
                } else if (name.equals("encoder") || name.equals("decoder")) {
                    callShapes.add(value.shape());
                }
            });
            if (function.equals("AutoencoderKLCogVideoX.decode -> sample")) {
                Tensor z = c.tensor(args.get("z").asText());
                Tensor sample = vae.decode(z, o, run);
                checker.check("out.sample", sample);
                checker.checkEquals("decodedFrames", sample.dim(2), vae.decodedFrames(z.dim(2), o));
                checkBatches(checker, state.get("latent_frame_batches"), z.dim(2), o.numLatentFramesBatchSize());
                checkCalls(checker, state.get("decoder_calls"), state.get("decoder_call_output_shapes"), callShapes);
                List<String> expectedTaps = c.names(MID_BLOCK_TAP);
                if (!expectedTaps.isEmpty()) {
                    checker.checkEquals(MID_BLOCK_TAP + "count", expectedTaps.size(), midBlock.size());
                    for (int i = 0; i < Math.min(expectedTaps.size(), midBlock.size()); i++) {
                        checker.check(MID_BLOCK_TAP + i, midBlock.get(i));
                    }
                }
            } else if (function.equals("AutoencoderKLCogVideoX.encode -> latent_dist (mean, logvar)")) {
                Tensor x = c.tensor(args.get("x").asText());
                DiagonalGaussianDistribution posterior = vae.encode(x, o, run);
                checker.check("out.mean", posterior.mean());
                checker.check("out.logvar", posterior.logvar());
                checker.checkEquals("encodedFrames", posterior.mean().dim(2), vae.encodedFrames(x.dim(2), o));
                checkBatches(checker, state.get("sample_frame_batches"), x.dim(2), o.numSampleFramesBatchSize());
                checkCalls(checker, state.get("encoder_calls"), state.get("encoder_call_output_shapes"), callShapes);
            } else {
                throw new IllegalArgumentException("vae case " + c.name() + ": function '" + function + "' is not implemented here");
            }
        }
    }

    /**
     * The case's {@code enable_tiling} argument: absent (no tiling), or diffusers' keyword arguments
     * ({@code {}} for the defaults).
     */
    static VaeTiling tiling(SpecNode enable) {
        if (!enable.present()) {
            return VaeTiling.OFF;
        }
        if (!enable.isObject()) {
            return VaeTiling.of(enable.asBoolean());
        }
        return VaeTiling.tiles(integer(enable.get("tile_sample_min_height")), integer(enable.get("tile_sample_min_width")),
                number(enable.get("tile_overlap_factor_height")), number(enable.get("tile_overlap_factor_width")));
    }

    private static Integer integer(SpecNode n) {
        return n.hasValue() ? n.asInt() : null;
    }

    private static Double number(SpecNode n) {
        return n.hasValue() ? n.asDouble() : null;
    }

    /** The reference's VAE settings recorded in the case against ours. */
    private static void checkState(Checker checker, SpecNode state, VaeOptions o, int ratio) {
        checkInt(checker, state, "num_latent_frames_batch_size", o.numLatentFramesBatchSize());
        checkInt(checker, state, "num_sample_frames_batch_size", o.numSampleFramesBatchSize());
        checkInt(checker, state, "tile_sample_min_height", o.tileSampleMinHeight());
        checkInt(checker, state, "tile_sample_min_width", o.tileSampleMinWidth());
        checkInt(checker, state, "tile_latent_min_height", o.tileLatentMinHeight(ratio));
        checkInt(checker, state, "tile_latent_min_width", o.tileLatentMinWidth(ratio));
        if (state.get("tile_overlap_factor_height").exists()) {
            checker.checkEquals("vae_state.tile_overlap_factor_height", state.get("tile_overlap_factor_height").asDouble(), o.tileOverlapFactorHeight());
        }
        if (state.get("tile_overlap_factor_width").exists()) {
            checker.checkEquals("vae_state.tile_overlap_factor_width", state.get("tile_overlap_factor_width").asDouble(), o.tileOverlapFactorWidth());
        }
        if (state.get("use_tiling").exists()) {
            checker.checkEquals("vae_state.use_tiling", state.get("use_tiling").asBoolean(), o.useTiling());
        }
        if (state.get("use_slicing").exists()) {
            checker.checkEquals("vae_state.use_slicing", state.get("use_slicing").asBoolean(), o.useSlicing());
        }
    }

    private static void checkInt(Checker checker, SpecNode state, String key, int ours) {
        if (state.get(key).exists()) {
            checker.checkEquals("vae_state." + key, state.get(key).asInt(), ours);
        }
    }

    private static void checkBatches(Checker checker, SpecNode recorded, int frames, int size) {
        if (!recorded.exists()) {
            return;
        }
        List<List<Integer>> expected = new ArrayList<>();
        recorded.forEach(b -> expected.add(List.of(b.at(0).asInt(), b.at(1).asInt())));
        List<List<Integer>> ours = AutoencoderKLCogVideoX.frameBatches(frames, size).stream().map(b -> List.of(b[0], b[1])).toList();
        checker.checkEquals(recorded.path(), expected, ours);
    }

    /** How many encoder (decoder) passes ran, and what each returned, in call order. */
    private static void checkCalls(Checker checker, SpecNode count, SpecNode shapes, List<int[]> ours) {
        if (count.exists()) {
            checker.checkEquals(count.path(), count.asInt(), ours.size());
        }
        if (shapes.exists()) {
            List<List<Integer>> expected = new ArrayList<>();
            shapes.forEach(s -> {
                List<Integer> dims = new ArrayList<>();
                s.forEach(d -> dims.add(d.asInt()));
                expected.add(dims);
            });
            checker.checkEquals(shapes.path(), expected, ours.stream().map(s -> java.util.Arrays.stream(s).boxed().toList()).toList());
        }
    }
}
