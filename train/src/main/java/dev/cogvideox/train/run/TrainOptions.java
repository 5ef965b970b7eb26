package dev.cogvideox.train.run;

import dev.cogvideox.train.data.LatentCache;
import dev.cogvideox.train.optim.LearningRateSchedule;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything {@code cogvideox train} is given.
 *
 * @param cache             where VAE latents and prompt embeddings are cached; when null, the dataset's precomputed
 *                          cache ({@link LatentCache#inDataset}) if there is one, else {@code output/cache}
 * @param loraRank          LoRA rank, or 0 for full fine-tuning
 * @param loraAlpha         LoRA alpha (scaling alpha / rank)
 * @param stages            the progressive stages, or null for one stage at the model's size for {@code steps}
 * @param batchTokens       the Frame Pack token budget per step, or 0 for the tokens of one full-size clip of the stage
 * @param timestepIntervals Explicit Uniform Sampling intervals (consecutive draws take consecutive intervals)
 * @param validationPrompt  prompt of the validation videos, or null for none
 * @param validationEvery   steps between validation videos (0: only at the end, if there is a prompt)
 * @param checkpointEvery   steps between checkpoints (0: only at the end)
 * @param resume            a checkpoint folder, or an output folder (its latest checkpoint), or null
 * @param onNonFinite       what a step with a NaN or infinite loss or gradient does: stop the run, or skip the update
 * @param keepCheckpoints   how many of the newest checkpoints to keep (older ones are deleted), or 0 for all
 * @param captionDropout    the probability that a clip is trained with the empty caption instead of its own, so that
 *                          the model learns the unconditional prediction classifier-free guidance subtracts (the
 *                          paper's SAT configs: 0.1); 0 for none (diffusers' fine-tuning scripts)
 */
public record TrainOptions(Path model, Path data, Path output, Path cache, int loraRank, double loraAlpha,
                           List<Stage> stages, int steps, double lr, LearningRateSchedule.Kind lrSchedule, int warmup,
                           double maxGradNorm, int batchTokens, int timestepIntervals, String validationPrompt,
                           int validationEvery, int validationSteps, int checkpointEvery, Path resume, long seed, int keepCheckpoints,
                           NonFinitePolicy onNonFinite, double captionDropout) {
    /** What a step whose loss or gradient norm is NaN or infinite does. */
    public enum NonFinitePolicy {
        /** Stop with an error; the last checkpoint written stays the one to resume from. */
        STOP,
        /** Leave the weights and optimizer moments as they were, count the step as skipped and go on. */
        SKIP
    }

    /** The options keeping every checkpoint, with {@link NonFinitePolicy#STOP}. */
    public TrainOptions(Path model, Path data, Path output, Path cache, int loraRank, double loraAlpha,
                        List<Stage> stages, int steps, double lr, LearningRateSchedule.Kind lrSchedule, int warmup,
                        double maxGradNorm, int batchTokens, int timestepIntervals, String validationPrompt,
                        int validationEvery, int validationSteps, int checkpointEvery, Path resume, long seed) {
        this(model, data, output, cache, loraRank, loraAlpha, stages, steps, lr, lrSchedule, warmup, maxGradNorm, batchTokens,
                timestepIntervals, validationPrompt, validationEvery, validationSteps, checkpointEvery, resume, seed, 0, NonFinitePolicy.STOP, 0);
    }

    public TrainOptions {
        if (onNonFinite == null) {
            throw new IllegalArgumentException("onNonFinite must be STOP or SKIP");
        }
        if (loraRank < 0) {
            throw new IllegalArgumentException("--lora-rank must be positive, got " + loraRank);
        }
        if (stages == null && steps < 1) {
            throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        }
        if (!(lr > 0) || Double.isInfinite(lr) || warmup < 0 || !(maxGradNorm > 0)) {
            throw new IllegalArgumentException("--lr and --max-grad-norm must be positive and --warmup not negative");
        }
        if (batchTokens < 0 || timestepIntervals < 1 || validationEvery < 0 || validationSteps < 1 || checkpointEvery < 0) {
            throw new IllegalArgumentException("--batch-tokens, --validation-every and --checkpoint-every must not be negative, "
                    + "--timestep-intervals and --validation-steps at least 1");
        }
        if (!(captionDropout >= 0 && captionDropout < 1)) {
            throw new IllegalArgumentException("--caption-dropout must be at least 0 and below 1, got " + captionDropout);
        }
        if (keepCheckpoints < 0) {
            throw new IllegalArgumentException("--keep-checkpoints must not be negative (0 keeps all), got " + keepCheckpoints);
        }
        stages = stages == null ? null : List.copyOf(stages);
    }

    public boolean full() {
        return loraRank == 0;
    }

    public Path cacheDir() {
        if (cache != null) {
            return cache;
        }
        Path precomputed = LatentCache.inDataset(data);
        return Files.isDirectory(precomputed) ? precomputed : output.resolve("cache");
    }
}
