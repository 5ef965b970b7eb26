package dev.cogvideox.cli;

import dev.cogvideox.train.optim.LearningRateSchedule;
import picocli.CommandLine.Option;

import java.util.Locale;

/** The optimizer's options that {@code train} and {@code train-vae} share: learning rate, its schedule and warm-up, clipping. */
final class OptimizerOptions {
    @Option(names = "--lr", defaultValue = "1e-4", description = "Learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--lr-schedule", defaultValue = "constant", description = "constant, linear or cosine (default: ${DEFAULT-VALUE}).")
    String lrSchedule;

    @Option(names = "--warmup", defaultValue = "0", description = "Learning-rate warm-up steps (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Gradient clipping (default: ${DEFAULT-VALUE}).")
    double maxGradNorm;

    /** The schedule named by {@code --lr-schedule}, after checking that the rate and the clipping norm are finite and positive. */
    LearningRateSchedule.Kind schedule() {
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("--lr must be a finite positive number, got " + lr);
        }
        if (!(maxGradNorm > 0) || Double.isInfinite(maxGradNorm)) {
            throw new IllegalArgumentException("--max-grad-norm must be a finite positive number, got " + maxGradNorm);
        }
        if (warmup < 0) {
            throw new IllegalArgumentException("--warmup must not be negative, got " + warmup);
        }
        return switch (lrSchedule.toLowerCase(Locale.ROOT)) {
            case "constant" -> LearningRateSchedule.Kind.CONSTANT;
            case "linear" -> LearningRateSchedule.Kind.LINEAR;
            case "cosine" -> LearningRateSchedule.Kind.COSINE;
            default -> throw new IllegalArgumentException("--lr-schedule must be constant, linear or cosine, not " + lrSchedule);
        };
    }
}
