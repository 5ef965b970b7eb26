package dev.cogvideox.world.eval;

import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.tensor.Tensor;

/** Where the evaluator's videos come from: a model, or (in tests) the world's own renderer. */
@FunctionalInterface
public interface VideoSource {
    /** The video for {@code prompt} and {@code seed}, {@code [F, 3, H, W]} in [0, 1]. */
    Tensor video(String prompt, long seed, CancellationToken cancel);
}
