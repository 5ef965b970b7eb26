package dev.cogvideox.verify;

import dev.cogvideox.model.transformer.CogVideoXTransformer3DModel;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.model.transformer.Embeddings;
import dev.cogvideox.model.transformer.RotaryPositions;
import dev.cogvideox.tensor.Tensor;

/**
 * The arguments of a golden {@code CogVideoXTransformer3DModel.forward} case: latents, prompt embeddings, timesteps,
 * the 1.5 i2v model's {@code ofs}, and whether the reference passed a RoPE table (ours is built by
 * {@link RotaryPositions}, as the pipeline builds it). Read once for the verifier and for the tests that run the
 * same cases under other weights or kernels.
 */
public record TransformerCaseInputs(Tensor hidden, Tensor text, float[] timesteps, float[] ofs, SpecNode ropeArgument) {
    public static TransformerCaseInputs read(GoldenCase c) {
        SpecNode args = c.arguments();
        return new TransformerCaseInputs(c.tensor(args.get("hidden_states").asText()), c.tensor(args.get("encoder_hidden_states").asText()),
                toFloats(c.longs(args.get("timestep").asText())), args.get("ofs").hasValue() ? c.tensor(args.get("ofs").asText()).data() : null, args.get("image_rotary_emb"));
    }

    /** Integer timesteps as the model takes them. */
    static float[] toFloats(long[] v) {
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = v[i];
        }
        return r;
    }

    /** The RoPE table for these latents when the reference passed one, else null. */
    public Embeddings.RotaryTable rope(CogVideoXTransformerConfig config) {
        return ropeArgument.hasValue() ? RotaryPositions.forLatents(config, hidden.dim(3), hidden.dim(4), hidden.dim(1)) : null;
    }

    /** {@code model.forward} on these arguments (no taps, no step cache). */
    public Tensor forward(CogVideoXTransformer3DModel model) {
        return model.forward(hidden, text, timesteps, rope(model.config()), ofs);
    }
}
