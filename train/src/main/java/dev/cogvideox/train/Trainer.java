package dev.cogvideox.train;

import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.train.model.Parameter;
import dev.cogvideox.train.model.TrainTransformer;
import dev.cogvideox.train.optim.AdamW;
import dev.cogvideox.train.optim.GradientClipping;
import dev.cogvideox.train.optim.LearningRateSchedule;

import java.util.Collection;

/**
 * The optimisation loop of the CogVideoX training scripts for one process: per batch, zero the gradients, run the
 * {@link TrainingStep}, clip the gradients to {@code max_grad_norm}, and take an AdamW step at the scheduled learning
 * rate. Only the parameters trainable at construction are optimised (all of them, or the LoRA ones).
 */
public final class Trainer {
    /** Optimizer, learning-rate schedule and clipping ({@code max_grad_norm}, the scripts' default 1.0). */
    public record Config(AdamW.Config adam, LearningRateSchedule schedule, double maxGradNorm) {
    }

    /** One step's loss (float64), gradient norm before clipping, and learning rate. */
    public record StepReport(int step, double loss, double gradNorm, double lr) {
    }

    private final TrainTransformer model;
    private final CogVideoXScheduler scheduler;
    private final Config cfg;
    private final Collection<Parameter> trainable;
    private final AdamW optimizer;

    public Trainer(TrainTransformer model, CogVideoXScheduler scheduler, Config cfg) {
        this.model = model;
        this.scheduler = scheduler;
        this.cfg = cfg;
        this.trainable = model.parameters().trainable();
        this.optimizer = new AdamW(trainable, cfg.adam());
    }

    public StepReport step(TrainingStep.Batch batch) {
        int step = optimizer.steps();
        model.parameters().zeroGrad();
        TrainingStep.Result r = TrainingStep.run(model, scheduler, batch);
        double norm = GradientClipping.clipByGlobalNorm(trainable, cfg.maxGradNorm());
        double lr = cfg.schedule().lr(step);
        optimizer.step(lr);
        return new StepReport(step, r.loss().loss(), norm, lr);
    }
}
