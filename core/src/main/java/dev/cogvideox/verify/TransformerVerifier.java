package dev.cogvideox.verify;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.transformer.CogVideoXTransformer3DModel;
import dev.cogvideox.model.transformer.Embeddings;
import dev.cogvideox.model.transformer.RotaryPositions;
import dev.cogvideox.model.transformer.StepCache;
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
        if (!c.function().equals("CogVideoXTransformer3DModel.forward")) {
            throw new IllegalArgumentException("transformer case: function '" + c.function() + "' is not implemented here");
        }
        SpecNode args = c.arguments();
        Implemented.returnDict(args);
        try (CogVideoXTransformer3DModel model = CogVideoXTransformer3DModel.load(c.modelDir().resolve("transformer"))) {
            Tensor hidden = c.tensor(args.get("hidden_states").asText());
            Tensor text = c.tensor(args.get("encoder_hidden_states").asText());
            float[] timesteps = toFloats(c.longs(args.get("timestep").asText()));
            float[] ofs = args.get("ofs").hasValue() ? c.tensor(args.get("ofs").asText()).data() : null;
            Embeddings.RotaryTable rope = null;
            SpecNode ropeArg = args.get("image_rotary_emb");
            if (ropeArg.hasValue()) {
                // the reference passed the pipeline's table; ours is built by our pipeline-side code and compared with it
                rope = RotaryPositions.forLatents(model.config(), hidden.dim(3), hidden.dim(4), hidden.dim(1));
                checker.check(ropeArg.at(0).asText(), rope.cos());
                checker.check(ropeArg.at(1).asText(), rope.sin());
            }
            Tensor sample = model.forward(hidden, text, timesteps, rope, ofs, RunContext.NONE.withTaps((name, t) -> {
                if (c.has("out.dbg." + name)) {
                    checker.check("out.dbg." + name, t);
                }
            }), StepCache.NONE);
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
