package dev.cogvideox.cli;

import dev.cogvideox.progress.ProgressBar;
import dev.cogvideox.train.data.ClipShape;
import dev.cogvideox.train.optim.LearningRateSchedule;
import dev.cogvideox.train.run.VaeTrainOptions;
import dev.cogvideox.train.run.VaeTrainingRun;
import dev.cogvideox.train.vae.VaeLoss;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;

/** {@code cogvideox train-vae}: trains a CogVideoX 3D causal VAE from scratch (reconstruction + KL) on videos. */
@Command(name = "train-vae", description = "Train a CogVideoX VAE from scratch (L1 or L2 reconstruction + KL) on videos.")
final class TrainVaeCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--vae-config", required = true, description = "The architecture: an AutoencoderKLCogVideoX config.json.")
    Path vaeConfig;

    @Option(names = "--data", required = true, description = "The dataset, as for train (videos.txt + prompts.txt, or .jsonl); captions are not used.")
    Path data;

    @Option(names = "--output", required = true, description = "Where checkpoints, loss.jsonl, loss.png and the trained vae/ folder go.")
    Path output;

    @Option(names = "--size", defaultValue = "96x96x17", description = "WIDTHxHEIGHTxFRAMES clips are fitted to (default: ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--crop", description = "Train on a random WIDTHxHEIGHTxFRAMES window of each fitted clip (a convolutional VAE learns "
            + "the same weights from windows at a fraction of the cost; clips shorter than the window keep their frames) "
            + "(default: whole clips).")
    String crop;

    @Option(names = "--crop-candidates", defaultValue = "1", description = "With --crop: draw this many windows per step and train on "
            + "the most varied (plain background teaches little) (default: ${DEFAULT-VALUE}, a uniform random window).")
    int cropCandidates;

    @Option(names = "--loss", defaultValue = "l1", description = "Reconstruction term: l1 or l2 (default: ${DEFAULT-VALUE}).")
    String loss;

    @Option(names = "--kl-weight", defaultValue = "1e-6", description = "Weight of the KL term, per pixel (default: ${DEFAULT-VALUE}).")
    double klWeight;

    @Option(names = "--whole-clips", description = "Run the encoder and decoder over each clip in one pass instead of the frame batches "
            + "inference uses (8 frames, 2 latent frames, GroupNorm statistics per batch).")
    boolean wholeClips;

    @Option(names = "--steps", defaultValue = "1000", description = "Optimizer steps, one clip each (default: ${DEFAULT-VALUE}).")
    int steps;

    @Mixin
    OptimizerOptions optimizer;

    @Option(names = "--checkpoint-every", defaultValue = "100", description = "Steps between checkpoints (default: ${DEFAULT-VALUE}; 0: only at the end).")
    int checkpointEvery;

    @Option(names = "--resume", description = "A checkpoint folder, or an output folder (its latest checkpoint); run with the same options. A larger "
            + "--steps extends a run, finished or not (the learning-rate schedule stretches to the new end).")
    Path resume;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Override
    public Integer call() throws Exception {
        ClipShape shape = ClipShape.parse(size, "--size");
        VaeLoss.Reconstruction reconstruction = switch (loss.toLowerCase(Locale.ROOT)) {
            case "l1" -> VaeLoss.Reconstruction.L1;
            case "l2" -> VaeLoss.Reconstruction.L2;
            default -> throw new IllegalArgumentException("--loss must be l1 or l2, not " + loss);
        };
        LearningRateSchedule.Kind kind = optimizer.schedule();
        VaeTrainOptions options = new VaeTrainOptions(vaeConfig, data, output, shape, new VaeLoss.Config(reconstruction, klWeight, !wholeClips), steps, optimizer.lr,
                kind, optimizer.warmup, optimizer.maxGradNorm, checkpointEvery, resume, seed, crop == null ? null : ClipShape.parse(crop, "--crop"), cropCandidates);

        // Ctrl-C stops after the current step with a checkpoint to resume from
        return Cancellable.run(120, cancel -> {
            VaeTrainingRun.Result r = VaeTrainingRun.run(options, ProgressBar.forConsole(System.err), cancel, System.err::println);
            if (r.interrupted()) {
                System.out.println("stopped at step " + r.steps() + " of " + r.totalSteps() + "; continue with --resume " + r.checkpoint());
                return 130;
            }
            System.out.println("trained " + r.steps() + " steps" + (r.problems().isEmpty() ? "" : " (" + r.problems().size() + " samples skipped)")
                    + ": " + r.vae() + ", loss log " + output.resolve("loss.jsonl") + ", last checkpoint " + r.checkpoint());
            return 0;
        });
    }
}
