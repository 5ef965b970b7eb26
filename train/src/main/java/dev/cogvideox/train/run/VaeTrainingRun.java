package dev.cogvideox.train.run;

import dev.cogvideox.io.SafetensorsWriter;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoXConfig;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.data.ClipFrames;
import dev.cogvideox.train.data.ClipShape;
import dev.cogvideox.train.data.DataSample;
import dev.cogvideox.train.data.DatasetIndex;
import dev.cogvideox.train.model.Parameter;
import dev.cogvideox.train.optim.AdamW;
import dev.cogvideox.train.optim.GradientClipping;
import dev.cogvideox.train.optim.LearningRateSchedule;
import dev.cogvideox.train.vae.TrainableVae;
import dev.cogvideox.train.vae.VaeLoss;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * One VAE training job from scratch (what {@code cogvideox train-vae} runs), in the run folder of transformer
 * training ({@link TrainingRun}): {@code loss.jsonl} (one line per step; {@code clips} 1, {@code tokens} 0),
 * {@code checkpoint-N/} with every weight, AdamW's moments and the {@link TrainState}, {@code loss.png}, and
 * {@code --resume} from the latest checkpoint to the same end as an uninterrupted run. Each step takes the next clip
 * of the epoch's shuffled order, draws the posterior sample's noise from the step's own generator, and runs
 * {@link VaeLoss#step}, gradient clipping and AdamW ({@code weight_decay} 1e-4, betas 0.9/0.95). At the end the VAE
 * goes to {@code vae/} ({@code config.json} + fp32 safetensors), loadable by every command.
 */
public final class VaeTrainingRun {
    /** How a run ended. */
    public record Result(int steps, int totalSteps, boolean interrupted, Path checkpoint, Path vae, List<String> problems) {
    }

    private final VaeTrainOptions o;
    private final ProgressListener progress;
    private final CancellationToken cancel;
    private final Consumer<String> messages;
    private final List<String> problems = new ArrayList<>();

    private VaeTrainingRun(VaeTrainOptions o, ProgressListener progress, CancellationToken cancel, Consumer<String> messages) {
        this.o = o;
        this.progress = progress;
        this.cancel = cancel;
        this.messages = messages;
    }

    /** Runs (or resumes) a job; {@code messages} receives skipped samples and written files. */
    public static Result run(VaeTrainOptions o, ProgressListener progress, CancellationToken cancel, Consumer<String> messages) {
        return new VaeTrainingRun(o, progress, cancel, messages).run();
    }

    private Result run() {
        // 1. the architecture, the settings and the checkpoint, checked before any work
        if (!Files.isRegularFile(o.vaeConfig())) {
            throw new IllegalArgumentException("--vae-config " + o.vaeConfig() + ": no such file (an AutoencoderKLCogVideoX config.json)");
        }
        AutoencoderKLCogVideoXConfig cfg = AutoencoderKLCogVideoXConfig.read(o.vaeConfig());
        int ratio = cfg.spatialCompressionRatio();
        for (ClipShape s : o.crop() == null ? List.of(o.shape()) : List.of(o.shape(), o.crop())) {
            if (s.width() % ratio != 0 || s.height() % ratio != 0 || (s.frames() - 1) % cfg.temporalCompressionRatio() != 0) {
                throw new IllegalArgumentException((s == o.shape() ? "--size " : "--crop ") + s + ": this VAE needs widths and heights that are multiples of "
                        + ratio + " and 1 + " + cfg.temporalCompressionRatio() + "k frames");
            }
        }
        TrainState.Settings settings = new TrainState.Settings(describe(cfg), o.seed(), 0, 0, o.lr(), o.lrSchedule().name(), o.warmup(), 0, 0, 0, 1);
        Checkpoint.Content resumed = o.resume() == null ? null : Checkpoint.read(o.resume());
        if (resumed != null && !sameRun(resumed.state().settings(), settings)) {
            throw new IllegalArgumentException("--resume " + o.resume() + ": the checkpoint was made with " + resumed.state().settings()
                    + ", this run has " + settings + "; resume with the same options");
        }
        if (resumed != null && resumed.state().step() > o.steps()) {
            throw new IllegalArgumentException("--resume " + o.resume() + ": the checkpoint is at step " + resumed.state().step() + ", past this run's "
                    + o.steps() + " steps; give --steps " + resumed.state().step() + " or more to continue it");
        }
        TrainState state = resumed != null ? new TrainState(resumed.state().step(), 0, resumed.state().epoch(), resumed.state().cursor(), 0, settings)
                : TrainState.start(settings);
        List<DataSample> samples = DatasetIndex.read(o.data()).samples();

        // 2. the VAE (new, or the checkpoint's weights) and its optimizer
        TrainableVae vae = TrainableVae.initial(cfg, o.seed());
        AdamW adam = new AdamW(vae.parameters().trainable(), AdamW.Config.COGVIDEOX);
        if (resumed != null) {
            restore(vae, resumed.weights());
            adam.restore(resumed.optimizer(), state.step(), "--resume " + o.resume());
        }
        LearningRateSchedule schedule = new LearningRateSchedule(o.lrSchedule(), o.lr(), Math.min(o.warmup(), o.steps()), o.steps());

        // 3. the steps
        Set<Integer> bad = new HashSet<>();
        StepLoop.End end = StepLoop.run("training the VAE", state, o.steps(), o.checkpointEvery(), o.output().resolve("loss.jsonl"), progress,
                new StepLoop.Steps() {
                    @Override
                    public boolean cancelled() {
                        return cancel.isCancelled();
                    }

                    @Override
                    public TrainState step(TrainState state, LossLog log) {
                        // the next readable clip of the epoch's order
                        int epoch = state.epoch(), cursor = state.cursor();
                        Tensor clip = null;
                        while (clip == null) {
                            if (bad.size() == samples.size()) {
                                throw new IllegalArgumentException("--data " + o.data() + ": no sample could be read " + problems);
                            }
                            if (cursor == samples.size()) {
                                epoch++;
                                cursor = 0;
                            }
                            int index = order(samples.size(), epoch)[cursor++];
                            clip = bad.contains(index) ? null : read(samples.get(index), bad, index);
                        }
                        StepRandom rng = new StepRandom(o.seed(), state.step());
                        clip = crop(clip, state.step(), cfg.temporalCompressionRatio());
                        Tensor noise = rng.randn(1, cfg.latentChannels(), (clip.dim(2) - 1) / cfg.temporalCompressionRatio() + 1,
                                clip.dim(3) / ratio, clip.dim(4) / ratio);
                        vae.parameters().zeroGrad();
                        VaeLoss.Value v = VaeLoss.step(vae, clip, noise, o.loss());
                        if (!Double.isFinite(v.loss())) {
                            throw new IllegalStateException("VAE training: the loss of step " + (state.step() + 1) + " is " + v.loss()
                                    + "; lower --lr or the KL weight, or resume from an earlier checkpoint");
                        }
                        double norm = GradientClipping.clipByGlobalNorm(vae.parameters().trainable(), o.maxGradNorm());
                        double lr = schedule.lr(state.step());
                        adam.step(lr);
                        TrainState next = new TrainState(state.step() + 1, 0, epoch, cursor, 0, settings);
                        log.append(next.step(), 0, v.loss(), norm, lr, 1, 0);
                        return next;
                    }

                    @Override
                    public Path checkpoint(TrainState state, LossLog log) {
                        return VaeTrainingRun.this.checkpoint(vae, adam, state, log);
                    }
                });
        Path written = end.interrupted() ? null : writeVae(vae);
        return new Result(end.state().step(), o.steps(), end.interrupted(), end.checkpoint(), written, List.copyOf(problems));
    }

    /** What shapes the trajectory besides the seed and the learning rate (kept in {@link TrainState.Settings#stages}). */
    private String describe(AutoencoderKLCogVideoXConfig c) {
        return "vae " + Arrays.toString(c.blockOutChannels()) + " latent " + c.latentChannels() + " layers " + c.layersPerBlock()
                + " groups " + c.normNumGroups() + " temporal " + c.temporalCompressionRatio() + ", clips " + o.shape() + ", "
                + o.loss().reconstruction() + " + " + o.loss().klWeight() + " KL, " + (o.loss().frameBatches() ? "inference's frame batches" : "whole clips")
                + ", max grad norm " + o.maxGradNorm() + (o.crop() == null ? "" : ", crops " + o.crop()
                + (o.cropCandidates() == 1 ? "" : " (most varied of " + o.cropCandidates() + ")"));
    }

    /**
     * With {@code --crop}: of {@code --crop-candidates} windows of the crop's size at random places of {@code clip}
     * {@code [1, 3, F, H, W]} (drawn from the seed and the step, so a resumed run cuts the same windows), the one whose
     * pixels vary most, so that windows of plain background, which teach the VAE little, are rare; a clip with fewer
     * frames than the crop keeps its frames. Without: the clip itself.
     */
    private Tensor crop(Tensor clip, int step, int temporalRatio) {
        if (o.crop() == null) {
            return clip;
        }
        SplittableRandom rng = new SplittableRandom(o.seed() * 0x2545F4914F6CDD1DL + step);
        int frames = clip.dim(2) <= o.crop().frames() ? clip.dim(2) : o.crop().frames();
        int[] size = {frames, o.crop().height(), o.crop().width()};
        Tensor best = null;
        double bestVariance = -1;
        for (int c = 0; c < o.cropCandidates(); c++) {
            Tensor window = clip;
            for (int d = 0; d < 3; d++) {
                int room = clip.dim(2 + d) - size[d];
                window = room == 0 ? window : Layout.narrow(window, 2 + d, rng.nextInt(room + 1), size[d]);
            }
            double variance = variance(window.data());
            if (variance > bestVariance) {
                best = window;
                bestVariance = variance;
            }
        }
        return best;
    }

    private static double variance(float[] x) {
        double sum = 0, sq = 0;
        for (float v : x) {
            sum += v;
            sq += (double) v * v;
        }
        double mean = sum / x.length;
        return sq / x.length - mean * mean;
    }

    /**
     * The same run: every setting equal. The step count is not a setting (a larger {@code --steps} extends a run, finished
     * or not, the learning-rate schedule stretching to the new end), and checkpoints written when it was one still match.
     */
    private static boolean sameRun(TrainState.Settings was, TrainState.Settings now) {
        TrainState.Settings old = new TrainState.Settings(was.stages().replaceFirst(", \\d+ steps", ""), was.seed(), was.loraRank(), was.loraAlpha(),
                was.lr(), was.lrSchedule(), was.warmup(), was.batchTokens(), was.timestepIntervals(), was.captionDropout(), was.packsPerStep());
        return old.equals(now);
    }

    /** The epoch's order of the samples: a permutation drawn from the seed and the epoch. */
    private int[] order(int n, int epoch) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        SplittableRandom rng = new SplittableRandom(o.seed() * 0x9E3779B97F4A7C15L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private Tensor read(DataSample sample, Set<Integer> bad, int index) {
        try {
            return ClipFrames.read(sample, o.shape()); // [1, 3, F, H, W]
        } catch (RuntimeException e) {
            bad.add(index);
            problem(sample.origin() + ": skipped: " + e.getMessage());
            return null;
        }
    }

    private Path checkpoint(TrainableVae vae, AdamW adam, TrainState state, LossLog log) {
        Path dir = Checkpoint.write(o.output(), new Checkpoint.Content(null, vae.parameters().values(), adam.state(), state));
        LossCurve.write(o.output().resolve("loss.png"), log.points());
        messages.accept("checkpoint " + dir);
        return dir;
    }

    private static void restore(TrainableVae vae, Map<String, Tensor> weights) {
        for (Parameter p : vae.parameters().all()) {
            Tensor w = weights.get(p.name());
            if (w == null || w.numel() != p.value().numel()) {
                throw new IllegalArgumentException("--resume: the checkpoint has no weights " + p.value() + " for " + p.name());
            }
            System.arraycopy(w.data(), 0, p.value().data(), 0, w.numel());
        }
    }

    /** {@code output/vae/}: the config as given and every weight in fp32. */
    private Path writeVae(TrainableVae vae) {
        Path dir = o.output().resolve("vae");
        SafetensorsWriter w = new SafetensorsWriter(Map.of("format", "pt"));
        vae.parameters().values().forEach((name, t) -> w.add(name, DType.F32, t));
        try {
            Files.createDirectories(dir);
            w.write(dir.resolve("diffusion_pytorch_model.safetensors"));
            Files.copy(o.vaeConfig(), dir.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot write the trained VAE: " + e.getMessage(), e);
        }
        messages.accept("trained VAE " + dir);
        return dir;
    }

    private void problem(String message) {
        problems.add(message);
        messages.accept(message);
    }
}
