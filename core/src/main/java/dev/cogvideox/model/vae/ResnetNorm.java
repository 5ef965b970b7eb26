package dev.cogvideox.model.vae;

import dev.cogvideox.tensor.Tensor;

/**
 * The normalisation of a VAE layer followed by the SiLU that every caller applies after it: a plain GroupNorm in the
 * encoder, a {@link CogVideoXSpatialNorm3D} conditioned on the latents in the decoder.
 */
sealed interface ResnetNorm permits GroupNormLayer, CogVideoXSpatialNorm3D {
    /**
     * {@code silu(norm(f, zq))} for {@code f [N, C, T, H, W]}; {@code zq} are the decoder's input latents (ignored by
     * the plain GroupNorm). Statistics cover the frames of {@code f}, i.e. the current frame batch only
     * (semantics.md, VAE: per-batch GroupNorm). Writes into {@code f} when {@code inPlace}, else into a new tensor.
     */
    default Tensor normSilu(Tensor f, Tensor zq, boolean inPlace) {
        return normSilu(f, zq, inPlace, Tape.NONE);
    }

    /** {@link #normSilu(Tensor, Tensor, boolean)}, saving what {@link #backward} needs on {@code tape}. */
    Tensor normSilu(Tensor f, Tensor zq, boolean inPlace, Tape tape);

    /**
     * From {@code g = dL/dout}: adds the parameter gradients to {@code grads} and the latents' gradient to {@code dzq}
     * (the decoder's, null in the encoder); returns {@code dL/df}.
     */
    Tensor backward(Tensor g, Tensor dzq, Tape tape, Gradients grads);
}
