package dev.cogvideox.train.run;

import dev.cogvideox.io.SafetensorsWriter;
import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Finite;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.NonFiniteException;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.Trainer;
import dev.cogvideox.train.TrainingStep;
import dev.cogvideox.train.data.DataSample;
import dev.cogvideox.train.data.LatentCache;
import dev.cogvideox.distributed.Communicator;
import dev.cogvideox.train.distributed.GradientAllReduce;
import dev.cogvideox.train.lora.LoraAdapter;
import dev.cogvideox.train.lora.LoraFile;
import dev.cogvideox.train.lora.LoraWeights;
import dev.cogvideox.train.model.ExtrapolatedRope;
import dev.cogvideox.train.model.Parameter;
import dev.cogvideox.train.model.TrainTransformer;
import dev.cogvideox.train.optim.AdamW;
import dev.cogvideox.train.optim.LearningRateSchedule;
import dev.cogvideox.train.optim.TimestepSampler;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * One training job, start to end (what {@code cogvideox train} runs):
 * <ol>
 *   <li>check the model, the stages and the token budget, and the checkpoint to resume, before any work;</li>
 *   <li>index the data and fill the latent cache (the VAE and T5 are loaded, used and released there);</li>
 *   <li>load the transformer, attach a LoRA (new, or the checkpoint's) or train every parameter;</li>
 *   <li>run the stages one after the other as one job; each step packs clips of the stage (Frame Pack), draws the
 *       posterior samples, noise and Explicit-Uniform timesteps from the step's own generator, and takes an AdamW
 *       step; the loss goes to {@code loss.jsonl}; checkpoints and validation videos every N steps;</li>
 *   <li>at the end (or when cancelled) a checkpoint, the trained weights and {@code loss.png}.</li>
 * </ol>
 * RoPE positions are {@link ExtrapolatedRope extrapolated} to each stage's grid.
 *
 * <p>Data parallel ({@link DataParallel}): a step's global batch is {@code D} consecutive Frame Pack batches of the
 * stage's walk (D the packs per step, by default the number of ranks); rank r of P trains on packs
 * {@code [r D / P, (r + 1) D / P)}, reading only their clips, and pack d draws its timesteps from its own part of
 * {@code [0, T)} ({@link TimestepSampler.ExplicitUniform#ownIntervals}). The step's random draws are made in the order
 * of the global batch (a rank makes those of the clips before its own too and drops them), so any P dividing D
 * trains the same trajectory up to float reduction order, and {@code D = P = 1} is the single-process run. The
 * gradients are averaged over the ranks in {@link Trainer}; rank 0 alone writes the loss log, checkpoints, validation
 * videos and the weights, and prints.
 */
public final class TrainingRun {
    /** What a user does after a data-parallel job was ended by a lost or stuck rank (the end of each rank's message). */
    public static final String AFTER_END = "continue with --resume from the last checkpoint";

    /**
     * How a run ended.
     *
     * @param skippedSteps steps whose loss or gradient was NaN or infinite and whose update was skipped
     *                     ({@link TrainOptions.NonFinitePolicy#SKIP})
     */
    public record Result(int steps, int totalSteps, boolean interrupted, Path checkpoint, Path weights, List<String> problems,
                         int skippedSteps) {
    }

    /**
     * The ranks of the job and the Frame Pack batches each step's global batch is made of.
     *
     * @param packsPerStep D, a multiple of the number of ranks; 0 for the number of ranks (or, resuming, the checkpoint's)
     */
    public record DataParallel(Communicator comm, int packsPerStep) {
        public DataParallel {
            if (packsPerStep < 0) {
                throw new IllegalArgumentException("--packs-per-step must be at least 1, got " + packsPerStep);
            }
        }

        /** One process, one pack per step. */
        public static DataParallel single() {
            return new DataParallel(Communicator.single(), 0);
        }
    }

    private final TrainOptions o;
    private final Communicator comm;
    private final int requestedPacks;
    private final ProgressListener progress;
    private final CancellationToken cancel;
    private final Consumer<String> messages;
    private final List<String> problems = new ArrayList<>();

    private TrainingRun(TrainOptions o, DataParallel dp, ProgressListener progress, CancellationToken cancel, Consumer<String> messages) {
        this.o = o;
        this.comm = dp.comm();
        this.requestedPacks = dp.packsPerStep();
        boolean first = comm.rank() == 0;
        this.progress = first ? progress : ProgressListener.NONE;
        this.cancel = cancel;
        this.messages = first ? messages : m -> { };
    }

    /** Runs (or resumes) a job in this one process; {@code messages} receives skipped samples and written files. */
    public static Result run(TrainOptions o, ProgressListener progress, CancellationToken cancel, Consumer<String> messages) {
        return run(o, DataParallel.single(), progress, cancel, messages);
    }

    /**
     * Runs (or resumes) this rank's part of a data-parallel job (every rank calls it with the same options). Only
     * rank 0 reports progress and messages and writes files; the result's paths are null on the other ranks.
     */
    public static Result run(TrainOptions o, DataParallel dp, ProgressListener progress, CancellationToken cancel, Consumer<String> messages) {
        return new TrainingRun(o, dp, progress, cancel, messages).run();
    }

    private Result run() {
        // 1. model, stages, budget and checkpoint, checked before any work
        CogVideoXTransformerConfig cfg = transformerConfig();
        List<Stage> stages = o.stages() != null ? o.stages() : List.of(Stage.modelDefault(cfg, o.steps()));
        for (Stage s : stages) {
            s.checkFits(cfg, o.stages() != null ? "--stages " + s : "the model's default size " + s.shape());
            if (o.batchTokens() > 0 && o.batchTokens() < s.maxTokens(cfg)) {
                throw new IllegalArgumentException("--batch-tokens " + o.batchTokens() + ": one full clip of stage " + s + " has "
                        + s.maxTokens(cfg) + " tokens (" + cfg.maxTextSeqLength() + " text + video patches); give at least that");
            }
        }
        Checkpoint.Content resumed = o.resume() == null ? null : Checkpoint.read(o.resume());
        int packs = requestedPacks > 0 ? requestedPacks : resumed != null ? resumed.state().settings().packsPerStep() : comm.size();
        if (packs % comm.size() != 0) {
            throw new IllegalArgumentException((requestedPacks > 0 ? "--packs-per-step " : "--resume " + o.resume() + ": the checkpoint's run took ")
                    + packs + (requestedPacks > 0 ? "" : " Frame Pack batches per step") + " and " + comm.size()
                    + " ranks cannot share them evenly; run it with a number of ranks that divides " + packs);
        }
        TrainState.Settings settings = new TrainState.Settings(stages.toString(), o.seed(), o.loraRank(), o.full() ? 0 : o.loraAlpha(),
                o.lr(), o.lrSchedule().name(), o.warmup(), o.batchTokens(), o.timestepIntervals(), o.captionDropout(), packs);
        TrainState state = TrainState.start(settings);
        if (resumed != null) {
            TrainState r = resumed.state();
            checkResumable(r.settings(), settings, r.step());
            // the same run, perhaps extended: more steps in the last stage (a linear or cosine schedule stretches to the new end)
            state = new TrainState(r.step(), r.stage(), r.epoch(), r.cursor(), r.timestepsDrawn(), settings);
        }

        // 2. data (each stage's samples: the dataset's, or its selection's) and the latent cache
        List<List<DataSample>> samples = StageData.samples(o.data(), stages, this::problem);
        LatentCache cache = new LatentCache(o.model(), o.cacheDir());
        if (o.cache() == null && o.cacheDir().equals(LatentCache.inDataset(o.data()))) {
            messages.accept("latents and prompt embeddings from the dataset's cache " + o.cacheDir() + " (--cache to use another)");
        }
        if (comm.size() > 1) {
            // each rank encodes its share of the samples; then every rank reads them all (a shared cache folder) or
            // encodes what its own folder lacks
            StageData.prepare(cache, StageData.share(samples, comm.rank(), comm.size()), stages, cfg.maxTextSeqLength(), progress, cancel, m -> { });
            if (o.captionDropout() > 0 && comm.rank() == 0) {
                cache.promptEmbeds("", cfg.maxTextSeqLength());
            }
            comm.barrier();
        }
        List<List<LatentCache.Entry>> entries = StageData.prepare(cache, samples, stages, cfg.maxTextSeqLength(), progress, cancel, this::problem);
        checkSameData(entries);
        Tensor emptyCaption = o.captionDropout() > 0 ? cache.promptEmbeds("", cfg.maxTextSeqLength()) : null;
        List<FramePacker> packers = new ArrayList<>();
        for (int s = 0; s < stages.size(); s++) {
            if (entries.get(s).isEmpty()) {
                throw new IllegalArgumentException("--data " + o.data() + ": no sample could be read for stage " + stages.get(s) + " " + problems);
            }
            int budget = o.batchTokens() > 0 ? o.batchTokens() : stages.get(s).maxTokens(cfg);
            packers.add(new FramePacker(entries.get(s).stream().mapToInt(e -> tokens(cfg, e)).toArray(), budget, o.seed(), s));
        }
        int total = stages.stream().mapToInt(Stage::steps).sum();
        if (resumed != null) {
            state.check(Checkpoint.resolve(o.resume()).resolve(Checkpoint.STATE), total, entries.stream().mapToInt(List::size).toArray());
        }

        // 3. the transformer and what is trained
        TrainTransformer model = TrainTransformer.load(o.model().resolve("transformer"));
        if (!o.full()) {
            LoraWeights lora = resumed != null ? checkedLora(cfg, resumed.lora()) : LoraAdapter.init(model, o.loraRank(), o.loraAlpha(), o.seed());
            LoraAdapter.attach(model, lora, true);
        } else if (resumed != null) {
            restoreWeights(model, resumed.weights(), Checkpoint.resolve(o.resume()).resolve(Checkpoint.FULL_WEIGHTS));
        }
        CogVideoXScheduler scheduler = CogVideoXScheduler.fromPretrained(o.model());
        Trainer trainer = new Trainer(model, scheduler, new Trainer.Config(AdamW.Config.COGVIDEOX,
                new LearningRateSchedule(o.lrSchedule(), o.lr(), Math.min(o.warmup(), total), total), o.maxGradNorm()),
                new GradientAllReduce(comm));
        if (resumed != null) {
            trainer.restore(resumed.optimizer(), state.step(), Checkpoint.resolve(o.resume()).resolve(Checkpoint.OPTIMIZER).toString());
        }

        comm.barrier();                                                 // the ranks load at their disks' speed: no time limit
        // 4. the stages as one job
        int numTimesteps = scheduler.alphasCumprod().length;
        int firstPack = comm.rank() * packs / comm.size(), endPack = (comm.rank() + 1) * packs / comm.size();
        boolean writer = comm.rank() == 0;
        // the steps of this job, with the count of skipped updates and the last checkpoint written
        class Steps implements StepLoop.Steps {
            private int skipped;
            private Path lastCheckpoint;

            @Override
            public boolean cancelled() {
                return comm.any(cancel.isCancelled());
            }

            @Override
            public TrainState step(TrainState state, LossLog log) {
                int stage = stageOf(stages, state.step());
                if (stage != state.stage()) {
                    state = new TrainState(state.step(), stage, 0, 0, state.timestepsDrawn(), settings);
                }
                // the global batch: D consecutive Frame Packs of the walk
                List<FramePacker.Pack> step = new ArrayList<>();
                for (int d = 0, epoch = state.epoch(), cursor = state.cursor(); d < packs; d++) {
                    FramePacker.Pack pack = packers.get(stage).next(epoch, cursor);
                    step.add(pack);
                    epoch = pack.epoch();
                    cursor = pack.cursor();
                }
                StepRandom rng = new StepRandom(o.seed(), state.step());
                TimestepSampler.ExplicitUniform timesteps = new TimestepSampler.ExplicitUniform(numTimesteps, o.timestepIntervals(),
                        rng.nextSeed(), state.timestepsDrawn());
                List<TrainingStep.Clip> clips = new ArrayList<>();
                // caption dropout draws from its own generator, so the noise and timesteps are those of a run without it
                SplittableRandom dropout = new SplittableRandom(~o.seed() * 0x9E3779B97F4A7C15L + state.step());
                int k = 0, tokens = 0;                                  // clips and tokens of the global batch
                List<long[]> drawn = new ArrayList<>();
                for (int d = 0; d < packs; d++) {
                    int[] own = TimestepSampler.ExplicitUniform.ownIntervals(d, packs, o.timestepIntervals());
                    long[] packTimesteps = new long[step.get(d).samples().size()];
                    drawn.add(packTimesteps);
                    for (int i = 0; i < packTimesteps.length; i++) {
                        int sample = step.get(d).samples().get(i);
                        long t = timesteps.draw(own[0] + (int) ((state.timestepsDrawn() + k) % own[1]));
                        packTimesteps[i] = t;
                        boolean drop = emptyCaption != null && dropout.nextDouble() < o.captionDropout();
                        LatentCache.Entry e = entries.get(stage).get(sample);
                        if (d >= firstPack && d < endPack) {
                            TrainingStep.Clip c = clip(cfg, e, rng, t);
                            clips.add(drop ? c.withPromptEmbeds(emptyCaption) : c);
                        } else if (d < firstPack) {
                            skipDraws(cfg, e, rng);                     // another rank's clip: its draws keep the order
                        }
                        k++;
                    }
                    tokens += step.get(d).tokens();
                }
                FramePacker.Pack last = step.getLast();
                Trainer.StepReport r = trainer.step(clips, k);
                if (!r.finite()) {
                    String what = "step " + (state.step() + 1) + " of " + total + ": the " + (Double.isFinite(r.loss()) ? "gradient norm" : "loss")
                            + " is " + (Double.isFinite(r.loss()) ? r.gradNorm() : r.loss());
                    if (o.onNonFinite() == TrainOptions.NonFinitePolicy.STOP) {
                        throw new NonFiniteException(what + "; the weights were not updated and no checkpoint was written"
                                + (lastCheckpoint != null ? " (the last good one is " + lastCheckpoint + ")" : "")
                                + ". A lower --lr or --max-grad-norm usually helps; --on-non-finite skip skips such steps instead");
                    }
                    skipped++;
                    messages.accept(what + ": update skipped (" + skipped + " so far)");
                }
                TrainState next = new TrainState(state.step() + 1, stage, last.epoch(), last.cursor(), state.timestepsDrawn() + k, settings);
                if (r.finite() && writer) {
                    log.append(next.step(), stage, r.loss(), r.gradNorm(), r.lr(), k, tokens, drawn);
                }
                return next;
            }

            @Override
            public Path checkpoint(TrainState state, LossLog log) {
                lastCheckpoint = writer ? TrainingRun.this.checkpoint(model, trainer, state, log) : null;
                return lastCheckpoint;
            }

            @Override
            public void afterStep(TrainState state, boolean checkpointed) {
                boolean solo = checkpointed;                            // rank 0 writes while the others wait
                if (o.validationPrompt() != null && o.validationEvery() > 0 && state.step() % o.validationEvery() == 0) {
                    if (writer) {
                        validate(model, stages.get(state.stage()), state.step(), ProgressListener.insideItemOf(progress));
                    }
                    solo = true;
                }
                if (solo) {
                    comm.barrier();                                     // no time limit: a validation video can take hours
                }
            }
        }
        Steps steps = new Steps();
        StepLoop.End end = StepLoop.run("training", state, total, o.checkpointEvery(), writer ? o.output().resolve("loss.jsonl") : null,
                progress, steps);

        // 5. the end (the loop wrote the last checkpoint): weights, and the last validation video unless the loop made it
        Path weights = null;
        if (!end.interrupted() && writer) {
            weights = writeWeights(model);
            if (o.validationPrompt() != null && (o.validationEvery() == 0 || end.state().step() % o.validationEvery() != 0)) {
                validate(model, stages.getLast(), end.state().step(), progress);
            }
        }
        return new Result(end.state().step(), total, end.interrupted(), end.checkpoint(), weights, List.copyOf(problems), steps.skipped);
    }

    /**
     * A checkpoint continues only the run it came from, with every option that shapes the trajectory the same; only the
     * last stage's steps may grow (a finished run extended with a larger {@code --steps}). The error names the option.
     */
    private void checkResumable(TrainState.Settings was, TrainState.Settings now, int step) {
        String at = "--resume " + o.resume() + ": ";
        String[] wasStages = was.stages().replaceAll("[\\[\\] ]", "").split(","), nowStages = now.stages().replaceAll("[\\[\\] ]", "").split(",");
        String stagesOption = o.stages() != null ? "--stages" : "--steps";
        boolean sameShapes = wasStages.length == nowStages.length;
        for (int i = 0; sameShapes && i < wasStages.length; i++) {
            boolean last = i == wasStages.length - 1;
            String a = wasStages[i], b = nowStages[i];
            sameShapes = last ? a.replaceFirst(":\\d+", ":").equals(b.replaceFirst(":\\d+", ":")) : a.equals(b); // shape and selection
        }
        if (!sameShapes) {
            throw new IllegalArgumentException(at + "the checkpoint's run had stages " + was.stages() + ", this one " + now.stages()
                    + "; resume with the same " + stagesOption + " (only the last stage's steps may grow)");
        }
        differ(at, "--seed", was.seed(), now.seed());
        if ((was.loraRank() == 0) != (now.loraRank() == 0)) {
            throw new IllegalArgumentException(at + "the checkpoint is from " + (was.loraRank() == 0 ? "full fine-tuning (--full)" : "a LoRA run")
                    + "; resume it the same way");
        }
        differ(at, "--lora-rank", was.loraRank(), now.loraRank());
        differ(at, "--lora-alpha", was.loraAlpha(), now.loraAlpha());
        differ(at, "--lr", was.lr(), now.lr());
        differ(at, "--lr-schedule", was.lrSchedule().toLowerCase(java.util.Locale.ROOT), now.lrSchedule().toLowerCase(java.util.Locale.ROOT));
        differ(at, "--warmup", was.warmup(), now.warmup());
        differ(at, "--batch-tokens", was.batchTokens(), now.batchTokens());
        differ(at, "--timestep-intervals", was.timestepIntervals(), now.timestepIntervals());
        differ(at, "--caption-dropout", was.captionDropout(), now.captionDropout());
        differ(at, "--packs-per-step", was.packsPerStep(), now.packsPerStep());
        int total = 0;
        for (String stage : nowStages) {
            total += Integer.parseInt(stage.substring(stage.indexOf(':') + 1).replaceFirst("@.*", ""));
        }
        if (total < step) {
            throw new IllegalArgumentException(at + "the checkpoint is at step " + step + ", past this run's " + total + " steps; give "
                    + stagesOption + " with at least " + step + " steps in all to continue it");
        }
    }

    private static void differ(String at, String option, Object was, Object now) {
        if (!was.equals(now)) {
            throw new IllegalArgumentException(at + "the checkpoint's run had " + option + " " + was + ", this one " + option + " " + now
                    + "; resume with " + option + " " + was);
        }
    }

    private CogVideoXTransformerConfig transformerConfig() {
        return transformerConfig(o.model());
    }

    /** The transformer's config of a text-to-video model folder; errors name {@code --model}. */
    static CogVideoXTransformerConfig transformerConfig(Path model) {
        Path config = model.resolve("transformer").resolve("config.json");
        if (!Files.isRegularFile(config)) {
            throw new IllegalArgumentException("--model " + model + ": no transformer/config.json (expected a diffusers CogVideoX folder)");
        }
        CogVideoXTransformerConfig cfg = CogVideoXTransformerConfig.read(config);
        if (cfg.inChannels() != cfg.outChannels()) {
            throw new IllegalArgumentException("--model " + model + ": the " + cfg.variant() + " model is image-to-video; train takes "
                    + "text-to-video models (CogVideoX-2b, -5b, 1.5-5b)");
        }
        return cfg;
    }

    private static int stageOf(List<Stage> stages, int step) {
        int end = 0;
        for (int s = 0; s < stages.size(); s++) {
            end += stages.get(s).steps();
            if (step < end) {
                return s;
            }
        }
        return stages.size() - 1;
    }

    /** Tokens of an entry's clip, after the 1.5 frame padding. */
    private static int tokens(CogVideoXTransformerConfig cfg, LatentCache.Entry e) {
        int[] s = e.latentShape();                                                             // [1, C, F, h, w]
        return Stage.tokens(cfg, paddedFrames(cfg, s[2]), s[3], s[4]);
    }

    /** Latent frames after diffusers' 1.5 rule: the first frame copied {@code F mod patch_size_t} times in front. */
    private static int paddedFrames(CogVideoXTransformerConfig cfg, int frames) {
        return cfg.patchSizeT() == null ? frames : frames + frames % cfg.patchSizeT();
    }

    /**
     * The draws {@link #clip} makes for an entry, made and dropped: what a rank does for another rank's clip that comes
     * before its own in the global batch, so that its own clips get the draws one process would give them.
     */
    private static void skipDraws(CogVideoXTransformerConfig cfg, LatentCache.Entry e, StepRandom rng) {
        int[] s = e.latentShape();                                                             // [1, C, F, h, w]
        rng.randn(s);
        rng.randn(1, paddedFrames(cfg, s[2]), s[1], s[3], s[4]);
    }

    /**
     * Every rank must index the same samples with the same latent shapes, or the ranks' global batches differ: rank
     * 0's digest of the entries is compared with each rank's, and all ranks stop together when one differs.
     */
    private void checkSameData(List<List<LatentCache.Entry>> entries) {
        if (comm.size() == 1) {
            return;
        }
        comm.barrier();                                                 // a rank without a shared cache may still be encoding
        byte[] mine;
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (List<LatentCache.Entry> stage : entries) {
                sha.update(("stage " + stage.size() + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                for (LatentCache.Entry e : stage) {
                    sha.update((e.sample().origin() + " " + e.sample().caption() + " " + Arrays.toString(e.latentShape()) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            mine = sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] first = mine.clone();
        comm.broadcast(first);
        boolean differs = !Arrays.equals(first, mine);
        if (comm.any(differs)) {
            throw new IllegalArgumentException("--data " + o.data() + ": " + (differs ? "this rank" : "another rank")
                    + " found other samples than rank 0 (" + entries.stream().mapToInt(List::size).sum() + " entries here, "
                    + problems.size() + " skipped); every rank needs the same data files at the same paths and a readable cache");
        }
    }

    /** A posterior sample scaled to the transformer's latent space, with fresh noise and the clip's RoPE table. */
    private static TrainingStep.Clip clip(CogVideoXTransformerConfig cfg, LatentCache.Entry e, StepRandom rng, long timestep) {
        LatentCache.Loaded l = LatentCache.load(e);
        Tensor z = l.posterior().sample(rng.randn(l.posterior().mean().shape()));               // [1, C, F, h, w]
        Tensor latents = Layout.permute(Ops.scale(z, l.scalingFactor()), 0, 2, 1, 3, 4);       // [1, F, C, h, w]
        int copies = paddedFrames(cfg, latents.dim(1)) - latents.dim(1);
        if (copies > 0) {
            List<Tensor> parts = new ArrayList<>();
            for (int i = 0; i < copies; i++) {
                parts.add(Layout.narrow(latents, 1, 0, 1));
            }
            parts.add(latents);
            latents = Layout.cat(1, parts);                                                    // [1, F', C, h, w]
        }
        Tensor noise = rng.randn(latents.shape());
        return new TrainingStep.Clip(latents, l.promptEmbeds(), timestep, noise, cfg.useRotaryPositionalEmbeddings()
                ? ExtrapolatedRope.forLatents(cfg, latents.dim(1), latents.dim(3), latents.dim(4)) : null);
    }

    private Path checkpoint(TrainTransformer model, Trainer trainer, TrainState state, LossLog log) {
        Path dir = Checkpoint.write(o.output(), new Checkpoint.Content(o.full() ? null : LoraAdapter.export(model, o.loraAlpha()),
                o.full() ? trainableWeights(model) : null, trainer.optimizerState(), state));
        LossCurve.write(o.output().resolve("loss.png"), log.points());
        messages.accept("checkpoint " + dir);
        if (o.keepCheckpoints() > 0) {
            for (Path old : Checkpoint.prune(o.output(), o.keepCheckpoints())) {
                messages.accept("deleted old checkpoint " + old.getFileName() + " (--keep-checkpoints " + o.keepCheckpoints() + ")");
            }
        }
        return dir;
    }

    /** A validation video; Ctrl-C while it is made skips it (the run then stops at the next step with a checkpoint). */
    private void validate(TrainTransformer model, Stage stage, int step, ProgressListener videoProgress) {
        Path gif = o.output().resolve("validation").resolve(String.format("step-%06d.gif", step));
        try {
            Path written = Validation.write(o.model(), o.full() ? null : LoraAdapter.export(model, o.loraAlpha()),
                    o.full() ? trainableWeights(model) : null, o.validationPrompt(), stage, o.validationSteps(), o.seed(), gif,
                    videoProgress, cancel);
            messages.accept("validation video " + written);
        } catch (java.util.concurrent.CancellationException e) {
            messages.accept("validation video of step " + step + " skipped: cancelled");
        }
    }

    /** The LoRA in the diffusers format, or (full runs) a transformer folder loadable by {@code generate}. */
    private Path writeWeights(TrainTransformer model) {
        Path target;
        if (!o.full()) {
            target = o.output().resolve(LoraFile.WEIGHT_NAME);
            LoraFile.write(target, LoraAdapter.export(model, o.loraAlpha()));
        } else {
            Path dir = o.output().resolve("transformer");
            target = dir.resolve("diffusion_pytorch_model.safetensors");
            Map<String, Tensor> trained = model.parameters().values();
            SafetensorsWriter w = new SafetensorsWriter(Map.of("format", "pt"));
            try (WeightStore base = WeightStore.open(o.model().resolve("transformer"))) {
                for (String name : base.names()) {
                    w.add(name, DType.F32, trained.containsKey(name) ? trained.get(name) : base.entry(name).toTensor());
                }
                w.write(target);
                Files.copy(o.model().resolve("transformer/config.json"), dir.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException(dir + ": cannot write the trained transformer: " + e.getMessage(), e);
            }
        }
        messages.accept("trained weights " + target);
        return target;
    }

    private static Map<String, Tensor> trainableWeights(TrainTransformer model) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Parameter p : model.parameters().trainable()) {
            out.put(p.name(), p.value());
        }
        return out;
    }

    /** The checkpoint's LoRA, checked to fit the model and to cover every target of every block; errors name the keys. */
    private LoraWeights checkedLora(CogVideoXTransformerConfig cfg, LoraWeights lora) {
        String file = Checkpoint.resolve(o.resume()).resolve(LoraFile.WEIGHT_NAME).toString();
        lora.checkFits(cfg, file);
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < cfg.numLayers(); i++) {
            for (String target : LoraWeights.TARGETS) {
                String path = "transformer_blocks." + i + ".attn1." + target;
                if (!lora.modules().containsKey(path)) {
                    missing.add(LoraWeights.PREFIX + path + ".lora_A/B.weight");
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(file + ": LoRA keys do not match this " + cfg.variant() + " transformer: missing " + missing);
        }
        return lora;
    }

    private static void restoreWeights(TrainTransformer model, Map<String, Tensor> weights, Path file) {
        for (Parameter p : model.parameters().trainable()) {
            Tensor w = weights.get(p.name());
            if (w == null || w.numel() != p.value().numel()) {
                throw new IllegalArgumentException(file + ": no weights " + p.value() + " for " + p.name());
            }
            long bad = Finite.countNonFinite(w);
            if (bad > 0) {
                throw new NonFiniteException(file + ": " + bad + " of " + w.numel() + " values of " + p.name()
                        + " are NaN or infinite; resume from an earlier checkpoint");
            }
            System.arraycopy(w.data(), 0, p.value().data(), 0, w.numel());
        }
    }

    private void problem(String message) {
        problems.add(message);
        messages.accept(message);
    }
}
