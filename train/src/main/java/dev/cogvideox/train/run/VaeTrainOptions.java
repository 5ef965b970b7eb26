package dev.cogvideox.train.run;

import dev.cogvideox.train.data.ClipShape;
import dev.cogvideox.train.optim.LearningRateSchedule;
import dev.cogvideox.train.vae.VaeLoss;

import java.nio.file.Path;

/**
 * Everything {@code cogvideox train-vae} is given.
 *
 * @param vaeConfig       the architecture: an {@code AutoencoderKLCogVideoX} {@code config.json}, trained from scratch
 * @param data            the dataset ({@link dev.cogvideox.train.data.DatasetIndex} layouts; captions are not used)
 * @param output          run folder: {@code loss.jsonl}, {@code loss.png}, {@code checkpoint-N/}, and {@code vae/} at the end
 * @param shape           the size clips are fitted to (one clip per step)
 * @param loss            reconstruction kind and KL weight
 * @param checkpointEvery steps between checkpoints (0: only at the end)
 * @param resume          a checkpoint folder, or an output folder (its latest checkpoint), or null
 * @param crop            each step trains on a random window of this size cut from the fitted clip (the VAE is
 *                        convolutional, so it learns the same weights at a fraction of the cost), or null for whole clips
 * @param cropCandidates  windows drawn per step with a crop, the most varied trained on (1: a uniform random window)
 */
public record VaeTrainOptions(Path vaeConfig, Path data, Path output, ClipShape shape, VaeLoss.Config loss, int steps, double lr,
                              LearningRateSchedule.Kind lrSchedule, int warmup, double maxGradNorm, int checkpointEvery, Path resume,
                              long seed, ClipShape crop, int cropCandidates) {
    /** Uniform random windows (one candidate). */
    public VaeTrainOptions(Path vaeConfig, Path data, Path output, ClipShape shape, VaeLoss.Config loss, int steps, double lr,
                           LearningRateSchedule.Kind lrSchedule, int warmup, double maxGradNorm, int checkpointEvery, Path resume,
                           long seed, ClipShape crop) {
        this(vaeConfig, data, output, shape, loss, steps, lr, lrSchedule, warmup, maxGradNorm, checkpointEvery, resume, seed, crop, 1);
    }

    public VaeTrainOptions {
        if (cropCandidates < 1) {
            throw new IllegalArgumentException("--crop-candidates must be at least 1, got " + cropCandidates);
        }
        if (crop != null && (crop.width() > shape.width() || crop.height() > shape.height() || crop.frames() > shape.frames())) {
            throw new IllegalArgumentException("--crop " + crop + " must fit inside --size " + shape);
        }
        if (steps < 1) {
            throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        }
        if (!(lr > 0) || Double.isInfinite(lr) || warmup < 0 || !(maxGradNorm > 0) || checkpointEvery < 0) {
            throw new IllegalArgumentException("--lr and --max-grad-norm must be positive, --warmup and --checkpoint-every not negative");
        }
    }
}
