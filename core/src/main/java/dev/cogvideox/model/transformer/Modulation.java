package dev.cogvideox.model.transformer;

import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Tensor;

/**
 * The six chunks of a {@code CogVideoXLayerNormZero} modulation, {@code linear(silu(temb)).chunk(6)} in diffusers'
 * order: shift, scale, gate for the video tokens, then enc_shift, enc_scale, enc_gate for the text tokens, each
 * {@code [B, D]}. The forward and the training backward name the chunks here and nowhere else.
 */
public record Modulation(Tensor shift, Tensor scale, Tensor gate, Tensor encShift, Tensor encScale, Tensor encGate) {
    /** Chunk indexes of the {@code [B, 6D]} linear output. */
    public static final int SHIFT = 0, SCALE = 1, GATE = 2, ENC_SHIFT = 3, ENC_SCALE = 4, ENC_GATE = 5, CHUNKS = 6;

    /** Splits {@code m [B, 6D]} into its chunks. */
    public static Modulation of(Tensor m, int dim) {
        return new Modulation(chunk(m, SHIFT, dim), chunk(m, SCALE, dim), chunk(m, GATE, dim),
                chunk(m, ENC_SHIFT, dim), chunk(m, ENC_SCALE, dim), chunk(m, ENC_GATE, dim));
    }

    /** Chunk {@code index} of {@code m [B, 6D]}: {@code [B, D]}. */
    public static Tensor chunk(Tensor m, int index, int dim) {
        return Layout.narrow(m, 1, index * dim, dim);
    }
}
