package dev.cogvideox.verify;

import dev.cogvideox.model.text.T5EncoderModel;
import dev.cogvideox.tensor.Tensor;

import java.util.Map;

/**
 * {@code text_encoder} cases: {@code T5EncoderModel(input_ids[, attention_mask])}. The embeddings, relative
 * position buckets and position bias must match exactly; the layer outputs and the last hidden state within
 * the case's tolerance.
 */
final class TextEncoderVerifier implements ComponentVerifier {
    /** Golden output name -> the encoder's trace name. */
    private static final Map<String, String> TAPS = Map.of(
            "out.embeddings", "encoder.embed_tokens",
            "out.position_bias", "encoder.block.0.layer.0.SelfAttention.position_bias");

    @Override
    public String component() {
        return "text_encoder";
    }

    @Override
    public void verify(GoldenCase c, Checker checker) {
        int[][] ids = T5Goldens.rows(c, "in.input_ids");
        int[][] mask = c.has("in.attention_mask") ? T5Goldens.rows(c, "in.attention_mask") : null;
        try (T5EncoderModel model = T5EncoderModel.fromPretrained(c.modelDir().resolve(c.spec().path("model_subfolder").asText("text_encoder")))) {
            checker.checkLongs("out.relative_position_bucket", T5Goldens.flat(T5EncoderModel.relativePositionBuckets(ids[0].length, model.config())));
            Tensor last = model.forward(ids, mask, (name, value) -> {
                TAPS.forEach((out, tap) -> {
                    if (tap.equals(name)) {
                        checker.checkExact(out, value);
                    }
                });
                if (name.matches("encoder\\.block\\.\\d+")) {
                    checker.check("out.layer" + name.substring("encoder.block.".length()) + "_output", value);
                }
            }, done -> {
            });
            checker.check("out.last_hidden_state", last);
        }
    }
}
