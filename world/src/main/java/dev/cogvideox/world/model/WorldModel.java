package dev.cogvideox.world.model;

import dev.cogvideox.io.AtomicFile;
import dev.cogvideox.io.SafetensorsWriter;
import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoX;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.synth.SentencePieceModelWriter;
import dev.cogvideox.synth.SyntheticCheckpoint;
import dev.cogvideox.synth.Variant;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.world.Combination;
import dev.cogvideox.world.HeldOut;
import dev.cogvideox.world.detect.ClipDetection;
import dev.cogvideox.world.detect.ClipDetector;
import dev.cogvideox.world.prompt.Captions;
import dev.cogvideox.world.render.ClipRenderer;
import dev.cogvideox.world.render.ClipSampler;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The design of the world's default model (docs/default-model.md), written as a diffusers folder: a CogVideoX of the
 * 5b design (RoPE positions, DPM scheduler, v-prediction, zero terminal SNR) shrunk to the world's 17 frames of 96x96
 * (12x12x5 latents); a small VAE of the {@code AutoencoderKLCogVideoX} architecture (four blocks, 8x spatial and 4x
 * temporal compression); a small T5 v1.1 encoder left at its seeded random initialisation, with a SentencePiece
 * tokenizer whose words are the world's ({@link Captions#vocabulary()}). Only config keys diffusers v0.40.0 knows.
 *
 * <p>{@link #write} makes the untrained folder (every weight from {@code WeightInit}), or assembles the final one from
 * trained VAE and transformer folders (the trainers' outputs), converting the weights to the dtype asked for.
 */
public final class WorldModel {
    /** Clip size: the world's dataset (docs/world.md). */
    public static final int WIDTH = 96, HEIGHT = 96, FRAMES = 17;
    /** Transformer: layers, heads and head width (inner width = heads x head width). */
    public static final int LAYERS = 8, HEADS = 4, HEAD_DIM = 32;
    /** T5 encoder width = the transformer's text_embed_dim. */
    public static final int TEXT_DIM = 128;
    /** Text tokens: the longest caption's words and {@code </s>}, with room for a capital and a full stop. */
    public static final int MAX_TEXT_TOKENS = 16;
    /** VAE block widths. */
    static final int[] VAE_CHANNELS = {16, 32, 32, 64};

    private WorldModel() {
    }

    /** The configs and tokenizer of the default model's {@link Design#DEFAULT design}; the VAE's scaling factor is {@code vaeScaling}. */
    public static SyntheticCheckpoint.Spec spec(double vaeScaling) {
        return spec(vaeScaling, Design.DEFAULT);
    }

    /**
     * How the transformer knows where a video token is. {@link #ROPE}: CogVideoX-5b's 3D rotary embedding, relative
     * positions only (a token's place in the frame shows only through the frame's edges). {@link #SINCOS}:
     * CogVideoX-2b's 3D sin-cos table added to the patch embeddings ({@code use_rotary_positional_embeddings: false}),
     * absolute positions, so "on the left in the first frame" is something a token can know directly.
     */
    public enum Positions {
        ROPE, SINCOS
    }

    /**
     * The choices of the design a recipe may vary: the scheduler's {@code snr_shift_scale} (CogVideoX's SNR shift:
     * the SNR of every timestep divided by it; below 1 the schedule spends more of its steps where faint content is
     * still visible), the transformer's position code, and its attention heads of {@link #HEAD_DIM} channels (the
     * inner width is {@code heads x HEAD_DIM}).
     */
    public record Design(double snrShift, Positions positions, int heads) {
        /** SNR shift 1, RoPE, {@link #HEADS} heads: the default model's. */
        public static final Design DEFAULT = new Design(1.0, Positions.ROPE, HEADS);

        public Design {
            if (!(snrShift > 0) || Double.isInfinite(snrShift)) {
                throw new IllegalArgumentException("the SNR shift must be a positive number, got " + snrShift);
            }
            if (heads < 1 || heads > 64) {
                throw new IllegalArgumentException("the transformer needs 1 to 64 attention heads, got " + heads);
            }
        }

        public Design withSnrShift(double shift) {
            return new Design(shift, positions, heads);
        }

        public Design withPositions(Positions p) {
            return new Design(snrShift, p, heads);
        }

        public Design withHeads(int h) {
            return new Design(snrShift, positions, h);
        }
    }

    /** The configs and tokenizer of {@code design}; the VAE's scaling factor is {@code vaeScaling}. */
    public static SyntheticCheckpoint.Spec spec(double vaeScaling, Design design) {
        double snrShift = design.snrShift();
        Positions positions = design.positions();
        int heads = design.heads();
        Map<String, Object> transformer = Variant.TINY.transformerConfig();           // the 5b design: RoPE, no learned positions
        transformer.put("attention_head_dim", HEAD_DIM);
        transformer.put("num_attention_heads", heads);
        transformer.put("num_layers", LAYERS);
        transformer.put("max_text_seq_length", MAX_TEXT_TOKENS);
        transformer.put("sample_frames", FRAMES);
        transformer.put("sample_height", HEIGHT / 8);
        transformer.put("sample_width", WIDTH / 8);
        transformer.put("text_embed_dim", TEXT_DIM);
        transformer.put("time_embed_dim", heads * HEAD_DIM);
        transformer.put("use_rotary_positional_embeddings", positions == Positions.ROPE);

        Map<String, Object> vae = Variant.TINY.vaeConfig();
        vae.put("block_out_channels", VAE_CHANNELS.clone());
        vae.put("layers_per_block", 1);
        vae.put("norm_num_groups", 8);
        vae.put("sample_height", HEIGHT);
        vae.put("sample_width", WIDTH);
        vae.put("scaling_factor", vaeScaling);

        List<String> words = Captions.vocabulary();
        Map<String, Object> t5 = Variant.TINY.textEncoderConfig();
        t5.put("d_model", TEXT_DIM);
        t5.put("d_ff", 2 * TEXT_DIM);
        t5.put("d_kv", 32);
        t5.put("num_heads", TEXT_DIM / 32);
        t5.put("num_layers", 2);
        t5.put("vocab_size", SentencePieceModelWriter.vocabSize(words));

        Map<String, Object> tokenizer = Variant.TINY.tokenizerConfig();
        tokenizer.put("model_max_length", MAX_TEXT_TOKENS);
        Map<String, Object> scheduler = Variant.TINY.schedulerConfig();
        scheduler.put("snr_shift_scale", snrShift);
        return new SyntheticCheckpoint.Spec(transformer, vae, t5, tokenizer, SentencePieceModelWriter.model(words),
                scheduler, Variant.TINY.modelIndex());
    }

    /**
     * Writes the model folder {@code out} (which must not exist; written into a temporary sibling renamed at the end):
     * random weights from {@code seed}, except the components given, whose weights are copied (every tensor the design
     * needs, with its shape) and stored as {@code dtype}.
     *
     * @param trainedVae         a {@code train-vae} output's {@code vae/} folder, or null
     * @param vaeScaling         the VAE's {@code scaling_factor} (see {@link #measureScaling})
     * @param trainedTransformer a {@code train --full} output's {@code transformer/} folder, or null
     */
    public static void write(Path out, long seed, DType dtype, Path trainedVae, double vaeScaling, Path trainedTransformer) {
        write(out, seed, dtype, trainedVae, vaeScaling, trainedTransformer, Design.DEFAULT);
    }

    /** As {@link #write(Path, long, DType, Path, double, Path)} with another {@link Design}. */
    public static void write(Path out, long seed, DType dtype, Path trainedVae, double vaeScaling, Path trainedTransformer, Design design) {
        if (Files.exists(out)) {
            throw new IllegalArgumentException(out + " exists; remove it or write elsewhere");
        }
        Path tmp = out.resolveSibling("." + out.getFileName() + ".tmp");
        try {
            deleteTree(tmp);
            SyntheticCheckpoint.Spec spec = spec(vaeScaling, design);
            SyntheticCheckpoint.write(spec, dtype, tmp, seed, SyntheticCheckpoint.SHARD_BYTES, ProgressListener.NONE);
            if (trainedVae != null) {
                replace(tmp.resolve("vae"), trainedVae, dtype);
            }
            if (trainedTransformer != null) {
                replace(tmp.resolve("transformer"), trainedTransformer, dtype);
            }
            AtomicFile.makeOrdinary(tmp);
            Files.move(tmp, out);
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": cannot write the model folder: " + e.getMessage(), e);
        }
    }

    /** Replaces the random weights in {@code component} by those of {@code trained}, tensor by tensor, as {@code dtype}. */
    private static void replace(Path component, Path trained, DType dtype) throws IOException {
        if (!Files.isDirectory(trained)) {
            throw new IllegalArgumentException(trained + ": not a folder (expected a trained component: config.json and safetensors)");
        }
        SafetensorsWriter w = new SafetensorsWriter(Map.of("format", "pt"));
        try (WeightStore random = WeightStore.open(component); WeightStore source = WeightStore.open(trained)) {
            for (String name : random.names().stream().sorted().toList()) {
                int[] shape = random.entry(name).shape();
                if (!source.has(name)) {
                    throw new IllegalArgumentException(trained + ": no tensor " + name + "; the default model's design needs it with shape "
                            + Arrays.toString(shape) + " (was it trained with another config?)");
                }
                Tensor t = source.entry(name).toTensor();
                if (!Arrays.equals(t.shape(), shape)) {
                    throw new IllegalArgumentException(trained + ": tensor " + name + " has shape " + Arrays.toString(t.shape())
                            + ", the default model's design needs " + Arrays.toString(shape));
                }
                w.add(name, dtype, t);
            }
        }
        try (Stream<Path> files = Files.list(component)) {
            for (Path f : files.filter(f -> f.getFileName().toString().contains(".safetensors")).toList()) {
                Files.delete(f);
            }
        }
        w.write(component.resolve("diffusion_pytorch_model.safetensors"));
    }

    /**
     * The VAE scaling factor that gives the latents unit standard deviation (as Stable Diffusion's was chosen):
     * 1 / the standard deviation of the posterior means of {@code clips} rendered clips of seen combinations.
     */
    public static double measureScaling(Path vaeDir, int clips, long seed) {
        List<Combination> seen = HeldOut.seen();
        double sum = 0, sumSq = 0;
        long n = 0;
        try (AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.load(vaeDir)) {
            for (int i = 0; i < clips; i++) {
                SplittableRandom random = ClipSampler.stream(seed, i);
                for (float v : vae.encode(pixels(seen.get(random.nextInt(seen.size())), random)).mean().data()) {
                    sum += v;
                    sumSq += (double) v * v;
                    n++;
                }
            }
        }
        double mean = sum / n, std = Math.sqrt(Math.max(sumSq / n - mean * mean, 0));
        if (!(std > 0) || !Double.isFinite(std)) {
            throw new IllegalArgumentException(vaeDir + ": the latents' standard deviation is " + std + "; the VAE is not usable");
        }
        return 1 / std;
    }

    /**
     * How well a VAE keeps what the evaluator reads: PSNR of the reconstruction (dB, peak 1 over pixels in [0, 1]; each
     * clip encoded to its posterior mean, decoded, clamped; the mean squared error over every pixel), and the fractions
     * of reconstructed clips whose colour, shape, direction (and all three) the detector still reads as rendered: the
     * ceiling of any transformer trained on this VAE's latents. {@code contentShare}: how much of the latents' spread is
     * the content of a clip rather than its background: the mean within-clip standard deviation of each latent channel
     * (over frames and positions) over the standard deviation of all latent values; after the scaling factor
     * (1 / that deviation) it is the amplitude at which the shapes meet unit noise in the transformer's space.
     */
    public record Reconstruction(double psnr, int clips, double colour, double shape, double direction, double allThree,
                                 double contentShare) {
    }

    /** {@link Reconstruction} over {@code clips} rendered clips of the held-out combinations (clip i: combination i mod 28). */
    public static Reconstruction reconstruction(Path vaeDir, int clips, long seed) {
        List<Combination> heldOut = HeldOut.combinations();
        double sq = 0;
        long n = 0;
        int colour = 0, shape = 0, direction = 0, all = 0;
        double zSum = 0, zSq = 0, spread = 0;
        long zCount = 0;
        int channelsSeen = 0;
        try (AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.load(vaeDir)) {
            for (int i = 0; i < clips; i++) {
                Combination c = heldOut.get(i % heldOut.size());
                Tensor x = pixels(c, ClipSampler.stream(seed, i));
                Tensor z = vae.encode(x).mean();                                                // [1, C, f, h, w]
                int per = z.numel() / z.dim(1);
                for (int ch = 0; ch < z.dim(1); ch++) {
                    double s1 = 0, s2 = 0;
                    for (int k = ch * per; k < (ch + 1) * per; k++) {
                        s1 += z.data()[k];
                        s2 += (double) z.data()[k] * z.data()[k];
                    }
                    zSum += s1;
                    zSq += s2;
                    spread += Math.sqrt(Math.max(0, s2 / per - (s1 / per) * (s1 / per)));
                    channelsSeen++;
                }
                zCount += z.numel();
                float[] in = x.data(), out = vae.decode(z).data();
                float[] unit = new float[out.length];
                for (int k = 0; k < in.length; k++) {
                    unit[k] = (Math.clamp(out[k], -1f, 1f) + 1) / 2;
                    double d = unit[k] - (in[k] + 1) / 2;
                    sq += d * d;
                }
                n += in.length;
                Tensor video = Layout.permute(Tensor.of(unit, 3, FRAMES, HEIGHT, WIDTH), 1, 0, 2, 3);    // [F, 3, H, W]
                ClipDetection seen = ClipDetector.detect(video);
                boolean col = seen.colour() == c.colour(), sha = seen.shape() == c.shape(), dir = seen.direction() == c.direction();
                colour += col ? 1 : 0;
                shape += sha ? 1 : 0;
                direction += dir ? 1 : 0;
                all += col && sha && dir ? 1 : 0;
            }
        }
        double zStd = Math.sqrt(zSq / zCount - (zSum / zCount) * (zSum / zCount));
        return new Reconstruction(10 * Math.log10(n / sq), clips, (double) colour / clips, (double) shape / clips,
                (double) direction / clips, (double) all / clips, spread / channelsSeen / zStd);
    }

    /** A rendered clip of {@code c} as the VAE takes it: {@code [1, 3, F, H, W]} in [-1, 1]. */
    public static Tensor pixels(Combination c, SplittableRandom random) {
        Tensor video = ClipRenderer.tensor(ClipSampler.sample(c, WIDTH, HEIGHT, FRAMES, random));    // [F, 3, H, W] in [0, 1]
        float[] d = video.data().clone();
        for (int k = 0; k < d.length; k++) {
            d[k] = 2f * d[k] - 1f;
        }
        return Layout.permute(Tensor.of(d, video.shape()), 1, 0, 2, 3).reshape(1, 3, FRAMES, HEIGHT, WIDTH);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
