package dev.cogvideox.world.eval;

import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.model.text.PromptEncoder;
import dev.cogvideox.model.text.T5EncoderModel;
import dev.cogvideox.model.text.T5Tokenizer;
import dev.cogvideox.model.transformer.CogVideoXTransformer3DModel;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.model.transformer.Embeddings;
import dev.cogvideox.model.transformer.RotaryPositions;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoX;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.progress.ProgressUnit;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.world.Background;
import dev.cogvideox.world.Colour;
import dev.cogvideox.world.Combination;
import dev.cogvideox.world.Shape;
import dev.cogvideox.world.model.WorldModel;
import dev.cogvideox.world.render.ClipSampler;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Which words of a prompt a trained world model uses, measured without sampling: rendered clips (of the held-out
 * combinations, or of seen ones) are encoded, noised to fixed timesteps, and the transformer's v-prediction loss (the training loss)
 * is computed with the true prompt and with prompts that change one attribute (the next colour that is not the
 * background, the next shape, the opposite direction), from the same noise. A model that reads an attribute predicts
 * worse when its word is wrong: {@code (loss_swapped - loss_true) / loss_true} above zero, and the true prompt
 * preferred in most clips. A model that ignores a word shows no gap: the word cannot steer generation either.
 * Cheap (one forward of four prompts per clip and timestep), and it answers early in a training run, long before
 * sampled videos do. On held-out clips a changed word may name a combination seen in training while the true prompt
 * names one never seen: a model that memorised combinations rather than composing words prefers the changed prompt
 * there (a negative gap); on seen clips it does not.
 */
public final class AttributeProbe {
    /** The attributes changed in turn; the true prompt is index 0 of each forward. */
    public static final List<String> ATTRIBUTES = List.of("colour", "shape", "direction");

    /**
     * The result at one timestep.
     *
     * @param timestep    the training timestep the clips were noised to
     * @param trueLoss    mean loss with the true prompts
     * @param gap         per attribute, the mean relative loss increase when its word is changed
     * @param preferred   per attribute, the fraction of clips whose loss is lower with the true prompt
     * @param orderGap    the mean relative loss increase (true prompt) on the clip with latent frames 1 and F-2 swapped:
     *                    above zero when the model expects the frames of a clip to follow one another coherently
     * @param orderPreferred the fraction of clips whose loss is lower in their true frame order
     */
    public record AtTimestep(int timestep, double trueLoss, double[] gap, double[] preferred, double orderGap, double orderPreferred) {
    }

    private AttributeProbe() {
    }

    /** The changed prompts of {@code c}, in {@link #ATTRIBUTES} order. */
    static List<Combination> swaps(Combination c) {
        Colour[] colours = Colour.values();
        Colour colour = c.colour();
        do {
            colour = colours[(colour.ordinal() + 1) % colours.length];
        } while (colour.rgb().equals(c.background().rgb()));
        Shape[] shapes = Shape.values();
        Shape shape = shapes[(c.shape().ordinal() + 1) % shapes.length];
        Background b = c.background();
        return List.of(new Combination(colour, c.shape(), c.direction(), b), new Combination(c.colour(), shape, c.direction(), b),
                new Combination(c.colour(), c.shape(), c.direction().opposite(), b));
    }

    /**
     * @param modelDir  a world model folder
     * @param combinations what the clips show: clip i shows combination i mod their count
     * @param clips     clips
     * @param timesteps training timesteps in [0, 1000)
     * @param seed      picks the clips' paths (as {@code world vae-psnr}) and the noise
     */
    public static List<AtTimestep> run(Path modelDir, List<Combination> combinations, int clips, int[] timesteps, long seed, ProgressListener progress) {
        CogVideoXScheduler scheduler = CogVideoXScheduler.fromPretrained(modelDir);
        for (int t : timesteps) {
            if (t < 0 || t >= scheduler.alphasCumprod().length) {
                throw new IllegalArgumentException("timestep " + t + " is outside [0, " + scheduler.alphasCumprod().length + ")");
            }
        }
        List<Combination> shown = List.copyOf(combinations);
        List<Tensor> latents = new ArrayList<>();                                   // [1, F, C, h, w] each, scaled
        try (AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.load(modelDir.resolve("vae"))) {
            float scaling = (float) vae.config().scalingFactor();
            for (int i = 0; i < clips; i++) {
                Tensor z = vae.encode(WorldModel.pixels(shown.get(i % shown.size()), ClipSampler.stream(seed, i))).mean();
                latents.add(Layout.permute(Ops.scale(z, scaling), 0, 2, 1, 3, 4));
            }
        }
        List<Tensor> prompts = new ArrayList<>();                                   // [4, T, D] per clip
        try (T5EncoderModel t5 = T5EncoderModel.fromPretrained(modelDir.resolve("text_encoder"))) {
            PromptEncoder encoder = new PromptEncoder(T5Tokenizer.fromPretrained(modelDir.resolve("tokenizer")), t5, PromptEncoder.LOG_WARNING);
            int length = CogVideoXTransformerConfig.read(modelDir.resolve("transformer").resolve("config.json")).maxTextSeqLength();
            for (int i = 0; i < clips; i++) {
                Combination c = shown.get(i % shown.size());
                List<String> texts = new ArrayList<>(List.of(c.prompt()));
                swaps(c).forEach(s -> texts.add(s.prompt()));
                prompts.add(encoder.getT5PromptEmbeds(texts, 1, length).embeds());
            }
        }
        List<AtTimestep> out = new ArrayList<>();
        int variants = 1 + ATTRIBUTES.size();
        try (CogVideoXTransformer3DModel transformer = CogVideoXTransformer3DModel.load(modelDir.resolve("transformer"))) {
            CogVideoXTransformerConfig cfg = transformer.config();
            progress.onStart("probing", (long) timesteps.length * clips, ProgressUnit.ITEMS);
            long done = 0;
            TorchGenerator generator = new TorchGenerator(seed);
            for (int t : timesteps) {
                double trueSum = 0, orderGap = 0, orderPreferred = 0;
                double[] gap = new double[ATTRIBUTES.size()], preferred = new double[ATTRIBUTES.size()];
                for (int i = 0; i < clips; i++) {
                    Tensor x0 = latents.get(i);
                    int[] shape = x0.shape();
                    Embeddings.RotaryTable rope = cfg.useRotaryPositionalEmbeddings() ? RotaryPositions.forLatents(cfg, shape[3], shape[4], shape[1]) : null;
                    Tensor noise = generator.randn(shape);
                    long[] ts = {t};
                    Tensor noisy = scheduler.addNoise(x0, noise, ts);
                    Tensor target = scheduler.getVelocity(x0, noise, ts);
                    Tensor batch = Layout.cat(0, Collections.nCopies(variants, noisy));
                    float[] tIn = new float[variants];
                    Arrays.fill(tIn, t);
                    Tensor v = transformer.forward(batch, prompts.get(i), tIn, rope, null);        // [4, F, C, h, w]
                    double[] loss = perSampleMse(v, target);
                    trueSum += loss[0];
                    for (int a = 0; a < ATTRIBUTES.size(); a++) {
                        gap[a] += (loss[a + 1] - loss[0]) / loss[0];
                        preferred[a] += loss[a + 1] > loss[0] ? 1 : 0;
                    }
                    // the same clip with two of its frames swapped: the shape jumps instead of moving (same noise, true prompt)
                    Tensor shuffled = swapFrames(x0, 1, shape[1] - 2);
                    Tensor vShuffled = transformer.forward(scheduler.addNoise(shuffled, noise, ts), Layout.narrow(prompts.get(i), 0, 0, 1),
                            new float[]{t}, rope, null);
                    double shuffledLoss = perSampleMse(vShuffled, scheduler.getVelocity(shuffled, noise, ts))[0];
                    orderGap += (shuffledLoss - loss[0]) / loss[0];
                    orderPreferred += shuffledLoss > loss[0] ? 1 : 0;
                    progress.onProgress(++done);
                }
                for (int a = 0; a < gap.length; a++) {
                    gap[a] /= clips;
                    preferred[a] /= clips;
                }
                out.add(new AtTimestep(t, trueSum / clips, gap, preferred, orderGap / clips, orderPreferred / clips));
            }
            progress.onEnd();
        }
        return out;
    }

    /** {@code x} ({@code [1, F, C, h, w]}) with latent frames {@code a} and {@code b} exchanged. */
    static Tensor swapFrames(Tensor x, int a, int b) {
        int f = x.dim(1);
        List<Tensor> frames = new ArrayList<>();
        for (int k = 0; k < f; k++) {
            frames.add(Layout.narrow(x, 1, k == a ? b : k == b ? a : k, 1));
        }
        return Layout.cat(1, frames);
    }

    /** Mean squared error of each sample of {@code v} ({@code [B, ...]}) against the one-sample {@code target}. */
    private static double[] perSampleMse(Tensor v, Tensor target) {
        int per = target.numel();
        double[] loss = new double[v.dim(0)];
        float[] p = v.data(), q = target.data();
        for (int b = 0; b < loss.length; b++) {
            double s = 0;
            for (int k = 0; k < per; k++) {
                double d = p[b * per + k] - q[k];
                s += d * d;
            }
            loss[b] = s / per;
        }
        return loss;
    }
}
