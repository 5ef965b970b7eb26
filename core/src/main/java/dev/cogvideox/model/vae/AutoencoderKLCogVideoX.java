package dev.cogvideox.model.vae;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.FrameSink;
import dev.cogvideox.model.ProcessGroup;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.Tape;
import dev.cogvideox.model.Taps;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.progress.ProgressUnit;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The CogVideoX 3D causal VAE: {@code encode} videos {@code [B, 3, 1+4k, H, W]} (H, W multiples of 8) to a posterior
 * over latents {@code [B, 16, 1+k, H/8, W/8]}, {@code decode} latents back to frames.
 *
 * <p>Work is split as the reference splits it (semantics.md, VAE): one sample at a time; frame batches of
 * {@link VaeOptions#numSampleFramesBatchSize} frames (encode) or {@link VaeOptions#numLatentFramesBatchSize} latent
 * frames (decode), the remainder joining the FIRST batch, each batch normalised on its own and linked to the previous
 * one by the causal convs' caches; optionally overlapping spatial tiles, each with its own frame batches, blended in
 * place. Only one frame batch's activations (plus the conv caches) are alive at a time.
 *
 * <p>{@code decode} does not apply the scaling factor (neither does the reference's): pipelines call
 * {@link #unscaleLatents} first. A {@link RunContext} carries a call's progress (in encoder or decoder passes),
 * cancellation (checked before every pass and inside it) and taps ({@code encoder}, {@code decoder}: each pass's
 * output; {@code decoder.mid_block}). Owns its {@link WeightStore}: close the VAE to release the mapped weights.
 *
 * <p>Parallel inference ({@link RunContext#ranks()}): a tiled decode gives the tiles to the job's ranks round-robin
 * and gathers them on rank 0, which blends them and alone hands frames to the sink; an untiled decode is rank 0's.
 */
public final class AutoencoderKLCogVideoX implements AutoCloseable {
    private final AutoencoderKLCogVideoXConfig config;
    private final WeightStore store;
    private final CogVideoXEncoder3D encoder;
    private final CogVideoXDecoder3D decoder;

    /** Builds the VAE from a config and a weight store (which it then owns); every weight is checked here. */
    public AutoencoderKLCogVideoX(AutoencoderKLCogVideoXConfig config, WeightStore store) {
        this.config = config;
        this.store = store;
        this.encoder = new CogVideoXEncoder3D(store, config);
        this.decoder = new CogVideoXDecoder3D(store, config);
    }

    /** Loads {@code config.json} and the weights of a {@code vae/} folder; every weight is checked before returning. */
    public static AutoencoderKLCogVideoX load(Path vaeDir) {
        return load(vaeDir, Kernels.JAVA);
    }

    /** As {@link #load(Path)}, the VAE running on {@code kernels}. */
    public static AutoencoderKLCogVideoX load(Path vaeDir, Kernels kernels) {
        AutoencoderKLCogVideoXConfig config = AutoencoderKLCogVideoXConfig.read(vaeDir.resolve("config.json"));
        WeightStore store = WeightStore.open(vaeDir).withKernels(kernels);
        try {
            return new AutoencoderKLCogVideoX(config, store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    public AutoencoderKLCogVideoXConfig config() {
        return config;
    }

    /** The reference's options right after loading (no tiling, tiles of half the config's sample size). */
    public VaeOptions defaultOptions() {
        return VaeOptions.defaults(config);
    }

    /**
     * The reference's frame batches of {@code frames} frames: {@code max(frames / size, 1)} batches of {@code size},
     * the remainder {@code frames % size} added to the first one. Returns {@code [start, end)} pairs.
     */
    public static List<int[]> frameBatches(int frames, int size) {
        int batches = Math.max(frames / size, 1);
        int remainder = frames % size;
        List<int[]> r = new ArrayList<>();
        for (int i = 0; i < batches; i++) {
            int start = size * i + (i == 0 ? 0 : remainder);
            r.add(new int[] {start, Math.min(size * (i + 1) + remainder, frames)});
        }
        return r;
    }

    /**
     * How many frames {@link #decode} returns for {@code latentFrames} latent frames: each frame batch decoded alone,
     * every time-compressing up block turning {@code n} frames into {@code 2n} (n even), {@code 2n - 1} (n odd: the
     * first frame is not doubled) or 1 (n = 1). So 13 latent frames give 9 + 5 x 8 = 49 frames, but 4 give 8 + 8 = 16,
     * not 13 (diffusers' {@code _decode}; semantics.md, VAE). Tiling does not change the count.
     */
    public int decodedFrames(int latentFrames, VaeOptions options) {
        return decodedFrames(config, latentFrames, options.numLatentFramesBatchSize());
    }

    /** {@link #decodedFrames(int, VaeOptions)} for a VAE config, with {@code batchSize} latent frames per decoder pass. */
    public static int decodedFrames(AutoencoderKLCogVideoXConfig config, int latentFrames, int batchSize) {
        return decodedFrames(config.temporalCompressLevel(), latentFrames, batchSize);
    }

    /** {@link #decodedFrames(int, VaeOptions)} for a decoder with {@code levels} time-doubling up blocks. */
    public static int decodedFrames(int levels, int latentFrames, int batchSize) {
        int total = 0;
        for (int[] batch : frameBatches(latentFrames, batchSize)) {
            int n = batch[1] - batch[0];
            for (int level = 0; level < levels; level++) {
                n = 2 * n - n % 2;                                                  // CogVideoXUpsample3D, compress_time
            }
            total += n;
        }
        return total;
    }

    /**
     * How many latent frames {@link #encode} returns for {@code frames} frames: each frame batch encoded alone, every
     * time-compressing down block turning {@code n} frames into {@code n / 2} (n even) or {@code 1 + (n - 1) / 2}
     * (n odd: the first frame kept). For {@code 1 + 4k} frames that is {@code 1 + k}.
     */
    public int encodedFrames(int frames, VaeOptions options) {
        int total = 0;
        for (int[] batch : frameBatches(frames, options.numSampleFramesBatchSize())) {
            int n = batch[1] - batch[0];
            for (int level = 0; level < config.temporalCompressLevel(); level++) {
                n = n % 2 == 1 ? 1 + (n - 1) / 2 : n / 2;                           // CogVideoXDownsample3D, compress_time
            }
            total += n;
        }
        return total;
    }

    /**
     * The frame size {@link #decode} returns for latents of {@code latentHeight x latentWidth}: 8x that without tiling,
     * and with tiling the sum of the tiles' kept parts, as diffusers' {@code tiled_decode} computes it. That sum is not
     * always the frame: 24-pixel-wide tiles with overlap 1/5 over 8 latent columns keep 20 + 20 + 20 + 16 = 76 columns
     * of a 64-pixel-wide frame (each tile keeps 20 of its 24 columns, but strides only 2 latents = 16 pixels).
     * Returns {@code [height, width]}.
     */
    public static int[] decodedSize(AutoencoderKLCogVideoXConfig config, int latentHeight, int latentWidth, VaeOptions options) {
        int ratio = config.spatialCompressionRatio();
        int tileH = options.tileLatentMinHeight(ratio), tileW = options.tileLatentMinWidth(ratio);
        if (!useTiling(options, latentHeight, latentWidth, tileH, tileW)) {
            return new int[] {latentHeight * ratio, latentWidth * ratio};
        }
        // tiled_decode's strides (latents) and kept extents (pixels), as in decodeTiling
        int strideH = (int) (tileH * (1 - options.tileOverlapFactorHeight())), strideW = (int) (tileW * (1 - options.tileOverlapFactorWidth()));
        int keepH = options.tileSampleMinHeight() - (int) (options.tileSampleMinHeight() * options.tileOverlapFactorHeight());
        int keepW = options.tileSampleMinWidth() - (int) (options.tileSampleMinWidth() * options.tileOverlapFactorWidth());
        if (strideH < 1 || strideW < 1 || keepH < 1 || keepW < 1) {
            throw new IllegalArgumentException("VAE tiles of " + options.tileSampleMinHeight() + "x" + options.tileSampleMinWidth()
                    + " px are too small for their overlap: they must advance by at least one latent (" + ratio + " px)");
        }
        return new int[] {keptSum(latentHeight, strideH, tileH, ratio, keepH), keptSum(latentWidth, strideW, tileW, ratio, keepW)};
    }

    /** Pixels kept along one axis: each tile decodes {@code min(tile, n - i)} latents and keeps up to {@code keep} pixels. */
    private static int keptSum(int n, int stride, int tile, int ratio, int keep) {
        int sum = 0;
        for (int i = 0; i < n; i += stride) {
            sum += Math.min(keep, Math.min(tile, n - i) * ratio);
        }
        return sum;
    }

    // ---------------------------------------------------------------------------------------------------- encode

    /** {@link #encode(Tensor, VaeOptions, RunContext)} with {@link #defaultOptions()}, unwatched. */
    public DiagonalGaussianDistribution encode(Tensor x) {
        return encode(x, defaultOptions(), RunContext.NONE);
    }

    /**
     * {@code x [B, in_channels, F, H, W]} with H, W multiples of 8 -> posterior over {@code [B, latent, t, H/8, W/8]}:
     * {@code t = 1 + k} for the {@code F = 1 + 4k} frames the VAE was trained on, {@link #encodedFrames} for any other F.
     * Reports "encoding" to the run's progress in encoder passes (one per frame batch of every tile of every sample).
     */
    public DiagonalGaussianDistribution encode(Tensor x, VaeOptions options, RunContext run) {
        checkVideo(x);
        ProgressListener progress = run.progress();
        boolean tiled = useTiling(options, x.dim(3), x.dim(4), options.tileSampleMinHeight(), options.tileSampleMinWidth());
        Tiling t = tiled ? encodeTiling(options) : null;
        int tiles = tiled ? ceilDiv(x.dim(3), t.strideH()) * ceilDiv(x.dim(4), t.strideW()) : 1;
        progress.onStart("encoding", (long) x.dim(0) * tiles * frameBatches(x.dim(2), options.numSampleFramesBatchSize()).size(), ProgressUnit.ITEMS);
        VaePasses passDone = new VaePasses(run);
        try {
            List<Tensor> samples = new ArrayList<>();
            for (int b = 0; b < x.dim(0); b++) {
                Tensor sample = Layout.narrow(x, 0, b, 1); // [1, 3, F, H, W]
                samples.add(tiled ? tiledEncode(sample, options, t, passDone) : encodeFrames(sample, options, passDone));
            }
            return DiagonalGaussianDistribution.of(Layout.cat(0, samples)); // [B, 2*latent, t, h, w]
        } finally {
            progress.onEnd();
        }
    }

    /** One sample (or tile) through the encoder, frame batch by frame batch, with one conv cache. */
    private Tensor encodeFrames(Tensor x, VaeOptions options, VaePasses passDone) {
        ConvCache cache = new ConvCache();
        List<Tensor> parts = new ArrayList<>();
        for (int[] batch : frameBatches(x.dim(2), options.numSampleFramesBatchSize())) {
            passDone.run.cancel().throwIfCancelled();
            Tensor frames = Layout.narrow(x, 2, batch[0], batch[1] - batch[0]); // [1, 3, f, H, W]
            Tensor moments = encoder.forward(frames, cache, passDone.run, Tape.NONE); // [1, 2*latent, f', H/8, W/8]
            passDone.run.taps().tap("encoder", moments);
            parts.add(moments);
            passDone.passDone();
        }
        return Layout.cat(2, parts); // [1, 2*latent, t, H/8, W/8]
    }

    /** The reference's tiled_encode: overlapping pixel tiles, each encoded alone, blended in latent space. */
    private Tensor tiledEncode(Tensor x, VaeOptions o, Tiling t, VaePasses passDone) {
        List<List<Tensor>> rows = new ArrayList<>();
        for (int i = 0; i < x.dim(3); i += t.strideH()) {
            List<Tensor> row = new ArrayList<>();
            for (int j = 0; j < x.dim(4); j += t.strideW()) {
                row.add(encodeFrames(crop(x, i, o.tileSampleMinHeight(), j, o.tileSampleMinWidth()), o, passDone)); // [1, 2*latent, t, th, tw]
            }
            rows.add(row);
        }
        return t.blend(rows); // [1, 2*latent, t, h, w]
    }

    // ---------------------------------------------------------------------------------------------------- decode

    /** {@link #decode(Tensor, VaeOptions, RunContext)} with {@link #defaultOptions()}, unwatched. */
    public Tensor decode(Tensor z) {
        return decode(z, defaultOptions(), RunContext.NONE);
    }

    /**
     * {@code z [B, latent, t, h, w] -> [B, out_channels, F, 8h, 8w]} (F = 1 + 4(t-1) for the CogVideoX structure):
     * {@link #decode(Tensor, VaeOptions, RunContext, FrameSink)} with the frames joined.
     */
    public Tensor decode(Tensor z, VaeOptions options, RunContext run) {
        List<List<Tensor>> perSample = new ArrayList<>();
        decode(z, options, run, (sample, first, frames) -> {
            if (sample == perSample.size()) {
                perSample.add(new ArrayList<>());
            }
            perSample.get(sample).add(frames);
        });
        return Layout.cat(0, perSample.stream().map(parts -> Layout.cat(2, parts)).toList());
    }

    /**
     * Decodes {@code z [B, latent, t, h, w]} and hands the frames {@code [1, out_channels, n, H, W]} to {@code sink}
     * batch by batch. Without tiling each frame batch is handed over as soon as it is decoded; with tiling (the
     * reference's order: every tile through all frame batches, then the blend) a sample's batches follow once its last
     * tile is done. Checks the run's token before every frame batch of every tile (a cancelled decode stops within one
     * batch with a {@link java.util.concurrent.CancellationException}) and reports "decoding" in decoder passes: one
     * per frame batch of every tile of every sample (a tiled decode hands its first frames over only after its last
     * tile, so counting frames would show nothing for most of the run).
     */
    public void decode(Tensor z, VaeOptions options, RunContext run, FrameSink sink) {
        checkLatents(z);
        ProgressListener progress = run.progress();
        ProcessGroup world = run.ranks().world();
        int ratio = config.spatialCompressionRatio();
        boolean tiled = useTiling(options, z.dim(3), z.dim(4), options.tileLatentMinHeight(ratio), options.tileLatentMinWidth(ratio));
        if (!tiled && world.rank() != 0) {
            return;                                                           // one piece of work: rank 0's
        }
        Tiling t = tiled ? decodeTiling(options) : null;
        int tiles = tiled ? ceilDiv(z.dim(3), t.strideH()) * ceilDiv(z.dim(4), t.strideW()) : 1;
        int mine = tiled ? (tiles - world.rank() + world.size() - 1) / world.size() : 1;   // tiles k = rank, rank + P, ...
        int passes = z.dim(0) * mine * frameBatches(z.dim(2), options.numLatentFramesBatchSize()).size();
        progress.onStart("decoding", passes, ProgressUnit.ITEMS);
        VaePasses passDone = new VaePasses(run);
        try {
            for (int b = 0; b < z.dim(0); b++) {
                int sample = b;
                int[] first = {0};
                Consumer<Tensor> out = frames -> {
                    sink.accept(sample, first[0], frames);
                    first[0] += frames.dim(2);
                };
                Tensor latents = Layout.narrow(z, 0, b, 1); // [1, latent, t, h, w]
                if (tiled) {
                    tiledDecode(latents, options, t, out, passDone, world);
                } else {
                    decodeFrames(latents, options, out, passDone);
                }
            }
        } finally {
            progress.onEnd();                                                 // complete or abandoned
        }
    }

    /**
     * One call's run and the encoder or decoder passes done in it; each pass reports its parts to the run itself
     * ({@link PassParts}: a full-size pass takes minutes).
     */
    private static final class VaePasses {
        private final RunContext run;
        private int passes;

        VaePasses(RunContext run) {
            this.run = run;
        }

        void passDone() {
            run.progress().onProgress(++passes);
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** One sample (or tile) through the decoder, latent frame batch by batch, with one conv cache. */
    private void decodeFrames(Tensor z, VaeOptions options, Consumer<Tensor> out, VaePasses passDone) {
        ConvCache cache = new ConvCache();
        Taps taps = passDone.run.taps();
        for (int[] batch : frameBatches(z.dim(2), options.numLatentFramesBatchSize())) {
            passDone.run.cancel().throwIfCancelled();
            Tensor latents = Layout.narrow(z, 2, batch[0], batch[1] - batch[0]); // [1, latent, f, h, w]
            Tensor frames = decoder.forward(latents, cache, passDone.run, Tape.NONE); // [1, 3, f', 8h, 8w]
            taps.tap("decoder", frames);
            out.accept(frames);
            passDone.passDone();
        }
    }

    /**
     * The reference's tiled_decode: overlapping latent tiles, each decoded alone through all its frame batches, blended
     * in pixel space. The blend acts on each frame alone, so it runs per frame batch and hands each batch over. Over
     * several ranks, tile k (row-major) is decoded by rank k mod P and the blend is rank 0's.
     */
    private void tiledDecode(Tensor z, VaeOptions o, Tiling t, Consumer<Tensor> out, VaePasses passDone, ProcessGroup world) {
        int ratio = config.spatialCompressionRatio();
        int latentH = o.tileLatentMinHeight(ratio), latentW = o.tileLatentMinWidth(ratio);
        List<List<List<Tensor>>> rows = new ArrayList<>(); // row -> tile -> frame batch
        int index = 0;                                      // tile index, row-major
        for (int i = 0; i < z.dim(3); i += t.strideH()) {
            List<List<Tensor>> row = new ArrayList<>();
            for (int j = 0; j < z.dim(4); j += t.strideW()) {
                List<Tensor> batches = new ArrayList<>();
                if (index++ % world.size() == world.rank()) {
                    decodeFrames(crop(z, i, latentH, j, latentW), o, batches::add, passDone); // each [1, 3, f, th, tw]
                }
                row.add(batches);
            }
            rows.add(row);
        }
        if (world.size() > 1) {
            TileGather.toRankZero(world, rows);
            if (world.rank() != 0) {
                return;
            }
        }
        int batches = rows.getFirst().getFirst().size();
        for (int k = 0; k < batches; k++) {
            int batch = k;
            out.accept(t.blend(rows.stream().map(row -> row.stream().map(tile -> tile.get(batch)).toList()).toList())); // [1, 3, f, H, W]
        }
    }

    // ---------------------------------------------------------------------------------------------------- tiling

    /** tiled_encode's pixel strides and latent blend extents. */
    private Tiling encodeTiling(VaeOptions o) {
        int ratio = config.spatialCompressionRatio();
        int latentH = o.tileLatentMinHeight(ratio), latentW = o.tileLatentMinWidth(ratio);
        int blendH = (int) (latentH * o.tileOverlapFactorHeight());
        int blendW = (int) (latentW * o.tileOverlapFactorWidth());
        return new Tiling(
                (int) (o.tileSampleMinHeight() * (1 - o.tileOverlapFactorHeight())),
                (int) (o.tileSampleMinWidth() * (1 - o.tileOverlapFactorWidth())),
                blendH, blendW, latentH - blendH, latentW - blendW);
    }

    /** tiled_decode's latent strides and pixel blend extents. */
    private Tiling decodeTiling(VaeOptions o) {
        int ratio = config.spatialCompressionRatio();
        int blendH = (int) (o.tileSampleMinHeight() * o.tileOverlapFactorHeight());
        int blendW = (int) (o.tileSampleMinWidth() * o.tileOverlapFactorWidth());
        return new Tiling(
                (int) (o.tileLatentMinHeight(ratio) * (1 - o.tileOverlapFactorHeight())),
                (int) (o.tileLatentMinWidth(ratio) * (1 - o.tileOverlapFactorWidth())),
                blendH, blendW, o.tileSampleMinHeight() - blendH, o.tileSampleMinWidth() - blendW);
    }

    private static boolean useTiling(VaeOptions o, int height, int width, int tileHeight, int tileWidth) {
        return o.useTiling() && (width > tileWidth || height > tileHeight);
    }

    /** {@code x[:, :, :, top:top+height, left:left+width]}, clipped at the border like a Python slice. */
    private static Tensor crop(Tensor x, int top, int height, int left, int width) {
        Tensor rows = Layout.narrow(x, 3, top, Math.min(height, x.dim(3) - top));
        return Layout.narrow(rows, 4, left, Math.min(width, x.dim(4) - left));
    }

    /**
     * Tile geometry: input strides between tiles, blend extents and kept sizes in output units.
     * {@link #blend} follows the reference exactly (semantics.md, VAE: tiling): tile (i, j) is blended IN PLACE with
     * its upper neighbour, then its left neighbour, both already blended themselves, and only then cropped.
     */
    private record Tiling(int strideH, int strideW, int blendH, int blendW, int keepH, int keepW) {
        Tiling {
            if (strideH < 1 || strideW < 1 || keepH < 1 || keepW < 1) {
                throw new IllegalArgumentException("tiles too small for their overlap: stride " + strideH + "x" + strideW
                        + ", kept " + keepH + "x" + keepW);
            }
        }

        Tensor blend(List<List<Tensor>> rows) {
            List<Tensor> resultRows = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                List<Tensor> row = rows.get(i);
                List<Tensor> kept = new ArrayList<>();
                for (int j = 0; j < row.size(); j++) {
                    Tensor tile = row.get(j);
                    if (i > 0) {
                        Tensor above = rows.get(i - 1).get(j);
                        Layout.blend(above, tile, 3, Math.min(Math.min(above.dim(3), tile.dim(3)), blendH));
                    }
                    if (j > 0) {
                        Tensor left = row.get(j - 1);
                        Layout.blend(left, tile, 4, Math.min(Math.min(left.dim(4), tile.dim(4)), blendW));
                    }
                    kept.add(crop(tile, 0, keepH, 0, keepW)); // [1, C, F, <=keepH, <=keepW]
                }
                resultRows.add(Layout.cat(4, kept));
            }
            return Layout.cat(3, resultRows);
        }
    }

    // ---------------------------------------------------------------------------------------------------- scaling

    /** {@code scaling_factor * z}: posterior samples to the transformer's latent space (video-to-video, training). */
    public Tensor scaleLatents(Tensor z) {
        return Ops.scale(z, (float) config.scalingFactor());
    }

    /**
     * The image-to-video conditioning latents: {@code scaling_factor * z}, or {@code (1 / scaling_factor) * z} for
     * the 1.5 VAE ({@code invert_scale_latents}: the reference's pipeline divides there, matching how it was trained).
     */
    public Tensor scaleImageLatents(Tensor z) {
        return config.invertScaleLatents() ? unscaleLatents(z) : scaleLatents(z);
    }

    /** {@code (1 / scaling_factor) * latents}: what a pipeline applies before {@link #decode} (semantics.md, VAE). */
    public Tensor unscaleLatents(Tensor latents) {
        return Ops.scale(latents, (float) (1.0 / config.scalingFactor()));
    }

    // ---------------------------------------------------------------------------------------------------- training

    /**
     * The encoder over whole clips in one pass (no frame batches, no tiles), recording on {@code tape} for
     * {@link #encoderBackward}: {@code x [B, 3, F, H, W] -> moments [B, 2*latent, t, H/8, W/8]} (split by
     * {@link DiagonalGaussianDistribution#of}). The same modules as {@link #encode}; its numbers when the clip fits one
     * frame batch.
     */
    public Tensor encoderForward(Tensor x, Tape tape) {
        return encoderForward(x, x.dim(2), tape);
    }

    /**
     * {@link #encoderForward(Tensor, Tape)} over {@link #frameBatches frame batches} of {@code framesPerBatch} frames
     * linked by the conv caches, as {@link #encode} runs them ({@link VaeOptions#numSampleFramesBatchSize}): with
     * that size, exactly the moments {@code encode} computes (GroupNorm statistics per batch included).
     */
    public Tensor encoderForward(Tensor x, int framesPerBatch, Tape tape) {
        checkVideo(x);
        ConvCache cache = new ConvCache();
        List<Tensor> parts = new ArrayList<>();
        for (int[] batch : frameBatches(x.dim(2), framesPerBatch)) {
            parts.add(encoder.forward(Layout.narrow(x, 2, batch[0], batch[1] - batch[0]), cache, RunContext.NONE, tape)); // [B, 2*latent, f', h, w]
        }
        tape.push(encoder, new Batches(parts.stream().mapToInt(p -> p.dim(2)).toArray()));
        return Layout.cat(2, parts); // [B, 2*latent, t, h, w]
    }

    /** From {@code g = dL/dmoments}: adds every encoder weight's gradient to {@code grads}, returns {@code dL/dx}. */
    public Tensor encoderBackward(Tensor g, Tape tape, Gradients grads) {
        return backwardByBatch(g, tape.pop(encoder, Batches.class), d -> encoder.backward(d, tape, grads));
    }

    /**
     * The decoder over whole latent clips in one pass (no frame batches, no tiles), recording on {@code tape} for
     * {@link #decoderBackward}: {@code z [B, latent, t, h, w] -> [B, 3, F, 8h, 8w]}. The same modules as
     * {@link #decode}; its numbers when the latents fit one frame batch.
     */
    public Tensor decoderForward(Tensor z, Tape tape) {
        return decoderForward(z, z.dim(2), tape);
    }

    /**
     * {@link #decoderForward(Tensor, Tape)} over frame batches of {@code latentFramesPerBatch} latent frames, as
     * {@link #decode} runs them ({@link VaeOptions#numLatentFramesBatchSize}): with that size, exactly its frames.
     */
    public Tensor decoderForward(Tensor z, int latentFramesPerBatch, Tape tape) {
        checkLatents(z);
        ConvCache cache = new ConvCache();
        List<Tensor> parts = new ArrayList<>();
        for (int[] batch : frameBatches(z.dim(2), latentFramesPerBatch)) {
            parts.add(decoder.forward(Layout.narrow(z, 2, batch[0], batch[1] - batch[0]), cache, RunContext.NONE, tape)); // [B, 3, f', H, W]
        }
        tape.push(decoder, new Batches(parts.stream().mapToInt(p -> p.dim(2)).toArray()));
        return Layout.cat(2, parts); // [B, 3, F, H, W]
    }

    /** From {@code g = dL/dframes}: adds every decoder weight's gradient to {@code grads}, returns {@code dL/dz}. */
    public Tensor decoderBackward(Tensor g, Tape tape, Gradients grads) {
        return backwardByBatch(g, tape.pop(decoder, Batches.class), d -> decoder.backward(d, tape, grads));
    }

    /** The output frames of each frame batch of a recorded pass. */
    private record Batches(int[] outputFrames) {
    }

    /** The gradient of each batch's output through {@code backward}, last batch first; the input gradients joined. */
    private static Tensor backwardByBatch(Tensor g, Batches batches, java.util.function.UnaryOperator<Tensor> backward) {
        int[] frames = batches.outputFrames();
        if (java.util.Arrays.stream(frames).sum() != g.dim(2)) {
            throw new IllegalArgumentException("backward: gradient " + g + " does not match the recorded frame batches " + java.util.Arrays.toString(frames));
        }
        Tensor[] parts = new Tensor[frames.length];
        int end = g.dim(2);
        for (int i = frames.length - 1; i >= 0; i--) {
            end -= frames[i];
            parts[i] = backward.apply(Layout.narrow(g, 2, end, frames[i]));
        }
        return Layout.cat(2, List.of(parts));
    }

    // ---------------------------------------------------------------------------------------------------- checks

    private void checkVideo(Tensor x) {
        if (x.rank() != 5) {
            throw new IllegalArgumentException("encode: video must be [B, C, F, H, W], got " + x);
        }
        if (x.dim(1) != config.inChannels()) {
            throw new IllegalArgumentException("encode: video has " + x.dim(1) + " channels, the VAE's in_channels is " + config.inChannels());
        }
        if (x.dim(2) < 1) {
            throw new IllegalArgumentException("encode: a video of no frames " + x);
        }
        int ratio = config.spatialCompressionRatio();
        if (x.dim(3) % ratio != 0 || x.dim(4) % ratio != 0) {
            throw new IllegalArgumentException("encode: height " + x.dim(3) + " and width " + x.dim(4) + " must be multiples of "
                    + ratio + " (the VAE's spatial compression ratio)");
        }
    }

    private void checkLatents(Tensor z) {
        if (z.rank() != 5) {
            throw new IllegalArgumentException("decode: latents must be [B, C, F, H, W], got " + z);
        }
        if (z.dim(1) != config.latentChannels()) {
            throw new IllegalArgumentException("decode: latents have " + z.dim(1) + " channels, the VAE's latent_channels is "
                    + config.latentChannels() + " (pass [B, C, F, H, W], not the transformer's [B, F, C, H, W])");
        }
        if (z.dim(2) < 1 || z.dim(3) < 1 || z.dim(4) < 1) {
            throw new IllegalArgumentException("decode: empty latents " + z);
        }
    }

    @Override
    public void close() {
        store.close();
    }
}
