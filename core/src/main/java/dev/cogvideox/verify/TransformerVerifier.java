package dev.cogvideox.verify;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.transformer.CogVideoXTransformer3DModel;
import dev.cogvideox.model.transformer.Embeddings;
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
            TransformerCaseInputs in = TransformerCaseInputs.read(c);
            Embeddings.RotaryTable rope = in.rope(model.config());
            if (rope != null) {
                // the reference passed the pipeline's table; ours is built by our pipeline-side code and compared with it
                checker.check(in.ropeArgument().at(0).asText(), rope.cos());
                checker.check(in.ropeArgument().at(1).asText(), rope.sin());
            }
            Tensor sample = model.forward(in.hidden(), in.text(), in.timesteps(), rope, in.ofs(), RunContext.NONE.withTaps((name, t) -> {
                if (c.has("out.dbg." + name)) {
                    checker.check("out.dbg." + name, t);
                }
            }), StepCache.NONE);
            checker.check("out.sample", sample);
        }
    }
}
