package dev.cogvideox.pipeline;

import dev.cogvideox.tensor.Finite;
import dev.cogvideox.tensor.Tensor;

/**
 * The pipeline's checks for NaN and infinite values, one pass over a tensor each: the latents after every denoising
 * step, the latents given to the decoder, and every decoded frame batch. A failed check stops the run before
 * anything is written, with the step and the likely cause ({@link dev.cogvideox.tensor.NonFiniteException}).
 */
public final class FiniteChecks {
    static final String DENOISE_CAUSE = "the transformer or the prompt embeddings produced them: check the model with "
            + "`cogvideox inspect` (NaN/Inf weights), a LoRA (try without it or a lower --lora-scale), and --guidance";
    static final String LATENTS_CAUSE = "the latents file is damaged or was written by a run that diverged; generate it again";
    static final String DECODE_CAUSE = "the VAE produced them: check the model with `cogvideox inspect` (NaN/Inf weights in vae/)";

    private FiniteChecks() {
    }

    /** After denoising step {@code step} (0-based) of {@code steps} at timestep {@code t}. */
    public static void afterStep(Tensor latents, int step, int steps, long t) {
        Finite.requireFinite(latents, "denoising step " + (step + 1) + " of " + steps + " (timestep " + t + ")", "latent",
                DENOISE_CAUSE + "; nothing was written");
    }

    /** Latents handed to the VAE decoder (from {@code denoise} or a latents file). */
    public static void beforeDecode(Tensor latents) {
        Finite.requireFinite(latents, "decode", "input latent", LATENTS_CAUSE);
    }

    /** A decoded batch of frames of sample {@code sample}, starting at frame {@code first}. */
    public static void decodedFrames(Tensor frames, int sample, int first) {
        Finite.requireFinite(frames, "VAE decode, sample " + sample + " from frame " + first, "decoded pixel",
                DECODE_CAUSE + "; the output was not written");
    }
}
