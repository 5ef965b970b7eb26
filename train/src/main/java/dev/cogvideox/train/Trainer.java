package dev.cogvideox.train;

import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.distributed.Communicator;
import dev.cogvideox.train.distributed.GradientAllReduce;
import dev.cogvideox.train.model.Parameter;
import dev.cogvideox.train.model.TrainTransformer;
import dev.cogvideox.train.optim.AdamW;
import dev.cogvideox.train.optim.GradientClipping;
import dev.cogvideox.train.optim.LearningRateSchedule;

import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * The optimisation loop of the CogVideoX training scripts for one process: per batch, zero the gradients, run the
 * {@link TrainingStep}, clip the gradients to {@code max_grad_norm}, and take an AdamW step at the scheduled learning
 * rate. Only the parameters trainable at construction are optimised (all of them, or the LoRA ones). In a
 * data-parallel job each rank runs its share of the step's clips and the gradients are averaged over the ranks
 * ({@link GradientAllReduce}) before clipping, so every rank takes the same update.
 */
public final class Trainer {
    /** Optimizer, learning-rate schedule and clipping ({@code max_grad_norm}, the scripts' default 1.0). */
    public record Config(AdamW.Config adam, LearningRateSchedule schedule, double maxGradNorm) {
    }

    /**
     * One step's loss (float64), gradient norm before clipping, and learning rate. When the loss or the gradient norm
     * is NaN or infinite the update was not applied ({@link #finite} false): weights and moments are as before.
     */
    public record StepReport(int step, double loss, double gradNorm, double lr) {
        public boolean finite() {
            return Double.isFinite(loss) && Double.isFinite(gradNorm);
        }
    }

    private final TrainTransformer model;
    private final CogVideoXScheduler scheduler;
    private final Config cfg;
    private final List<Parameter> trainable;
    private final AdamW optimizer;
    private final GradientAllReduce ranks;

    /** A trainer of this one process. */
    public Trainer(TrainTransformer model, CogVideoXScheduler scheduler, Config cfg) {
        this(model, scheduler, cfg, new GradientAllReduce(Communicator.single()));
    }

    /** A trainer of one rank of a data-parallel job. */
    public Trainer(TrainTransformer model, CogVideoXScheduler scheduler, Config cfg, GradientAllReduce ranks) {
        this.model = model;
        this.scheduler = scheduler;
        this.cfg = cfg;
        this.trainable = List.copyOf(model.parameters().trainable());
        this.optimizer = new AdamW(trainable, cfg.adam());
        this.ranks = ranks;
    }

    public StepReport step(TrainingStep.Batch batch) {
        return optimize(() -> TrainingStep.run(model, scheduler, batch).loss().loss(), 1, 1);
    }

    /** One step on a Frame Pack batch (its loss is the mean of the clips' losses). */
    public StepReport step(List<TrainingStep.Clip> pack) {
        return step(pack, pack.size());
    }

    /**
     * One step of a data-parallel job: this rank's clips of a global batch of {@code globalClips} clips; the loss is
     * the mean over the global batch and so is the gradient, on every rank.
     */
    public StepReport step(List<TrainingStep.Clip> localClips, int globalClips) {
        return optimize(() -> TrainingStep.runPacked(model, scheduler, localClips).loss(), localClips.size(), globalClips);
    }

    /** The optimizer's moments by parameter name, for a checkpoint. */
    public Map<String, Tensor> optimizerState() {
        return optimizer.state();
    }

    /** Steps taken (also after {@link #restore}). */
    public int steps() {
        return optimizer.steps();
    }

    /** Continues from a checkpoint: the optimizer's moments and the number of steps taken. */
    public void restore(Map<String, Tensor> optimizerState, int steps, String source) {
        optimizer.restore(optimizerState, steps, source);
    }

    /**
     * Zero the gradients, run the forward and backward pass (returning the loss), average over the ranks, clip, step
     * (unless non-finite: a NaN on one rank is a NaN on all after the average, so all skip together).
     */
    private StepReport optimize(DoubleSupplier forwardBackward, int localClips, int globalClips) {
        int step = optimizer.steps();
        model.parameters().zeroGrad();
        double loss = ranks.average(trainable, forwardBackward.getAsDouble(), localClips, globalClips);
        double norm = GradientClipping.clipByGlobalNorm(trainable, cfg.maxGradNorm());
        double lr = cfg.schedule().lr(step);
        StepReport report = new StepReport(step, loss, norm, lr);
        if (report.finite()) {
            optimizer.step(lr);
        } else {
            optimizer.skip();                                      // a NaN/Inf update would make every weight NaN
        }
        return report;
    }
}
