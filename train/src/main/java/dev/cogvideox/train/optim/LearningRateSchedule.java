package dev.cogvideox.train.optim;

/**
 * The learning-rate multipliers of diffusers' {@code get_scheduler} (the training scripts' {@code --lr_scheduler}):
 * a linear warm-up from 0 over {@code warmup} steps, then constant, linear decay to 0 at {@code total}, or a half
 * cosine to 0 at {@code total}.
 */
public record LearningRateSchedule(Kind kind, double baseLr, int warmup, int total) {
    public enum Kind { CONSTANT, LINEAR, COSINE }

    public LearningRateSchedule {
        if (baseLr <= 0 || warmup < 0 || total < warmup) {
            throw new IllegalArgumentException("learning rate schedule needs lr > 0 and 0 <= warmup <= total steps, got " + baseLr + ", " + warmup + ", " + total);
        }
    }

    /** The learning rate of step {@code step} (0-based). */
    public double lr(int step) {
        if (step < warmup) {
            return baseLr * step / Math.max(1, warmup);
        }
        double progress = (double) (step - warmup) / Math.max(1, total - warmup);
        return baseLr * switch (kind) {
            case CONSTANT -> 1.0;
            case LINEAR -> Math.max(0, 1 - progress);
            case COSINE -> Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
        };
    }
}
