package dev.cogvideox.verify;

import dev.cogvideox.model.transformer.CogVideoXTransformer3DModel;
import dev.cogvideox.model.transformer.Embeddings;
import dev.cogvideox.model.transformer.RotaryPositions;
import dev.cogvideox.tensor.Tensor;

/**
 * {@code transformer} cases: {@code CogVideoXTransformer3DModel.forward}. The RoPE table is built by our own
 * pipeline-side code and compared with {@code out.rope_cos/out.rope_sin}; every {@code out.dbg.*} tap is checked.
 */
final class TransformerVerifier implements ComponentVerifier {
    @Override
    public String component() {
        return "transformer";
    }

    @Override
    public void verify(GoldenCase c, Checker checker) {
        try (CogVideoXTransformer3DModel model = CogVideoXTransformer3DModel.load(c.modelDir().resolve("transformer"))) {
            Tensor hidden = c.tensor("in.hidden_states");
            Tensor text = c.tensor("in.encoder_hidden_states");
            float[] timesteps = toFloats(c.longs("in.timestep"));
            float[] ofs = c.has("in.ofs") ? c.tensor("in.ofs").data() : null;
            Embeddings.RotaryTable rope = null;
            if (model.config().useRotaryPositionalEmbeddings()) {
                rope = RotaryPositions.forLatents(model.config(), hidden.dim(3), hidden.dim(4), hidden.dim(1));
                checker.check("out.rope_cos", rope.cos());
                checker.check("out.rope_sin", rope.sin());
            }
            Tensor sample = model.forward(hidden, text, timesteps, rope, ofs, (name, t) -> {
                if (c.has("out.dbg." + name)) {
                    checker.check("out.dbg." + name, t);
                }
            }, done -> { });
            checker.check("out.sample", sample);
        }
    }

    static float[] toFloats(long[] v) {
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = v[i];
        }
        return r;
    }
}
