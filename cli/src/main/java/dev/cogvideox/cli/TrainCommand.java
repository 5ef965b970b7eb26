package dev.cogvideox.cli;

import dev.cogvideox.progress.ProgressBar;
import dev.cogvideox.distributed.Communicator;
import dev.cogvideox.train.optim.LearningRateSchedule;
import dev.cogvideox.train.run.Stage;
import dev.cogvideox.train.run.TrainOptions;
import dev.cogvideox.train.run.TrainingRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code cogvideox train}: LoRA or full fine-tuning of a text-to-video model on a folder of captioned videos; under
 * {@code mpirun -np N} a data-parallel job of N ranks (rank 0 prints and writes).
 */
@Command(name = "train", description = {"Fine-tune a text-to-video model (LoRA or full) on captioned videos and images.",
        "Under mpirun -np N: data-parallel over N ranks (rank 0 prints and writes; see README)."})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "A diffusers CogVideoX folder (text-to-video).")
    Path model;

    @Option(names = "--data", required = true, description = "A folder with videos.txt and prompts.txt (one path, relative to the folder, "
            + "and one caption per line, as diffusers' LoRA script), or a .jsonl of {\"video\": ..., \"caption\": ...} lines. Images are one-frame clips.")
    Path data;

    @Option(names = "--output", required = true, description = "Where checkpoints, loss.jsonl, loss.png, validation videos and the trained weights go.")
    Path output;

    @Option(names = "--cache", description = "Cache of VAE latents and prompt embeddings (default: the dataset's latent-cache folder "
            + "when `data precompute` made one, else OUTPUT/cache).")
    Path cache;

    @Option(names = "--lora-rank", description = "LoRA rank (default 128, as diffusers' script).")
    Integer loraRank;

    @Option(names = "--lora-alpha", description = "LoRA alpha; the update is scaled by alpha / rank (default: the rank).")
    Double loraAlpha;

    @Option(names = "--full", description = "Train every transformer parameter instead of a LoRA.")
    boolean full;

    @Option(names = "--steps", description = "Optimizer steps at the model's own size (default 500); see --stages.")
    Integer steps;

    @Option(names = "--stages", description = "Progressive resolution: WIDTHxHEIGHTxFRAMES:STEPS,... run as one job, e.g. 256x256x9:2000,512x512x49:500 "
            + "(default: one stage at the model's size for --steps). A stage ending in @NAME draws only from the dataset's selection NAME "
            + "(selections/NAME.jsonl, from `data select`), e.g. 256x256x9:2000@good,512x512x49:500@best.")
    String stages;

    @Mixin
    OptimizerOptions optimizer;

    @Option(names = "--batch-tokens", defaultValue = "0", description = "Frame Pack budget: tokens per step, clips of any length packed up to it "
            + "(default: the tokens of one full-size clip of the stage).")
    int batchTokens;

    @Option(names = "--caption-dropout", defaultValue = "0", description = "Probability that a clip trains on the empty caption instead "
            + "of its own, teaching the unconditional prediction that guidance (--guidance above 1) subtracts; the paper's "
            + "from-scratch configs use 0.1 (default: ${DEFAULT-VALUE}, as diffusers' fine-tuning scripts).")
    double captionDropout;

    @Option(names = "--timestep-intervals", defaultValue = "8", description = "Explicit Uniform Sampling: consecutive clips draw timesteps "
            + "from consecutive of this many intervals (default: ${DEFAULT-VALUE}).")
    int timestepIntervals;

    @Option(names = "--packs-per-step", description = "Data parallel: the Frame Pack batches of one step's global batch, shared evenly by "
            + "the mpirun ranks, each drawing timesteps from its own part of the schedule (default: the number of ranks, or the "
            + "checkpoint's with --resume). One process with --packs-per-step 2 trains what 2 ranks would.")
    Integer packsPerStep;

    @Option(names = "--collective-timeout", defaultValue = "1800", description = "Data parallel: seconds a rank waits for the others in a "
            + "gradient all-reduce before it reports a stuck or unreachable rank and ends the job; 0 waits for ever. A rank that "
            + "dies ends the job at once (default: ${DEFAULT-VALUE}).")
    long collectiveTimeout;

    @Option(names = "--validation-prompt", description = "Prompt of the validation videos (OUTPUT/validation/step-N.gif) (default: none, no validation videos).")
    String validationPrompt;

    @Option(names = "--validation-every", defaultValue = "0", description = "Steps between validation videos (default: only at the end).")
    int validationEvery;

    @Option(names = "--validation-steps", defaultValue = "50", description = "Denoising steps of a validation video (default: ${DEFAULT-VALUE}).")
    int validationSteps;

    @Option(names = "--checkpoint-every", defaultValue = "500", description = "Steps between checkpoints (default: ${DEFAULT-VALUE}; 0: only at the end).")
    int checkpointEvery;

    @Option(names = "--keep-checkpoints", defaultValue = "0", description = "Keep only the newest N checkpoints, deleting older ones "
            + "(diffusers' checkpoints_total_limit) (default: ${DEFAULT-VALUE}, all).")
    int keepCheckpoints;

    @Option(names = "--resume", description = "A checkpoint folder, or an output folder (its latest checkpoint); run with the same options. "
            + "A larger --steps (or last stage's steps) extends a run, finished or not (default: a new run).")
    Path resume;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the LoRA init, the timesteps, noise and data order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--on-non-finite", defaultValue = "stop", description = "A step whose loss or gradient is NaN or infinite: stop "
            + "(keeping the last checkpoint) or skip (no update; the steps skipped are counted) (default: ${DEFAULT-VALUE}).")
    String onNonFinite;

    @Override
    public Integer call() throws Exception {
        if (full && (loraRank != null || loraAlpha != null)) {
            throw new IllegalArgumentException("--full trains every parameter: drop --lora-rank/--lora-alpha, or drop --full to train a LoRA");
        }
        if (stages != null && steps != null) {
            throw new IllegalArgumentException("--stages sets the steps of each stage: drop --steps");
        }
        int rank = full ? 0 : loraRank != null ? loraRank : 128;
        if (!full && rank < 1) {
            throw new IllegalArgumentException("--lora-rank must be at least 1, got " + rank);
        }
        LearningRateSchedule.Kind kind = optimizer.schedule();
        TrainOptions.NonFinitePolicy policy = switch (onNonFinite.toLowerCase(Locale.ROOT)) {
            case "stop" -> TrainOptions.NonFinitePolicy.STOP;
            case "skip" -> TrainOptions.NonFinitePolicy.SKIP;
            default -> throw new IllegalArgumentException("--on-non-finite must be stop or skip, not " + onNonFinite);
        };
        if (loraAlpha != null && !(Double.isFinite(loraAlpha) && loraAlpha > 0)) {
            throw new IllegalArgumentException("--lora-alpha must be a finite positive number, got " + loraAlpha);
        }
        List<Stage> stageList = stages == null ? null : Stage.parseList(stages, "--stages");
        TrainOptions options = new TrainOptions(model, data, output, cache, rank, loraAlpha != null ? loraAlpha : rank, stageList,
                steps != null ? steps : 500, optimizer.lr, kind, optimizer.warmup, optimizer.maxGradNorm, batchTokens, timestepIntervals, validationPrompt,
                validationEvery, validationSteps, checkpointEvery, resume, seed, keepCheckpoints, policy, captionDropout);

        if (collectiveTimeout < 0) {
            throw new IllegalArgumentException("--collective-timeout must not be negative (0 waits for ever), got " + collectiveTimeout);
        }
        if (packsPerStep != null && packsPerStep < 1) {
            throw new IllegalArgumentException("--packs-per-step must be at least 1, got " + packsPerStep);
        }

        // Ctrl-C stops after the current step with a checkpoint to resume from
        return Cancellable.run(120, cancel -> {
            TrainingRun.Result r;
            try (Communicator comm = Communicator.fromEnvironment(Duration.ofSeconds(collectiveTimeout), TrainingRun.AFTER_END)) {
                try {
                    ProgressBar bar = ProgressBar.forConsole(System.err);
                    // a written checkpoint: its own line, not glued to the bar
                    r = TrainingRun.run(options, new TrainingRun.DataParallel(comm, packsPerStep != null ? packsPerStep : 0), bar, cancel, bar::println);
                } catch (RuntimeException | Error e) {
                    System.err.print(comm.prefix());                   // "rank 1 of 2: " before the error line
                    throw e;
                }
                comm.finish();
                if (comm.rank() != 0) {
                    return r.interrupted() ? Cancellable.INTERRUPTED : 0;
                }
            }
            if (r.interrupted()) {
                System.out.println("stopped at step " + r.steps() + " of " + r.totalSteps() + "; continue with --resume " + r.checkpoint());
                return 130;
            }
            System.out.println("trained " + r.steps() + " steps" + (r.problems().isEmpty() ? "" : " (" + r.problems().size() + " samples skipped)")
                    + (r.skippedSteps() == 0 ? "" : " (" + r.skippedSteps() + " steps skipped: non-finite loss or gradient)")
                    + ": " + r.weights() + ", loss log " + output.resolve("loss.jsonl") + ", last checkpoint " + r.checkpoint());
            return 0;
        });
    }
}
