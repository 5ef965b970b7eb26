package dev.cogvideox.verify;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.text.T5EncoderModel;
import dev.cogvideox.model.text.T5Tokenizer;
import dev.cogvideox.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
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
        SpecNode args = c.arguments();
        int[][] ids = T5Goldens.rows(c, "in.input_ids");
        boolean maskPassed = args.get("attention_mask_passed").asBoolean();
        int[][] mask = maskPassed ? T5Goldens.rows(c, "in.attention_mask") : null;
        String call = args.get("call").asText();
        if (!call.equals(maskPassed ? "T5EncoderModel(input_ids=input_ids, attention_mask=attention_mask)" : "T5EncoderModel(input_ids)")) {
            throw new IllegalArgumentException("arguments/call '" + call + "' is not a T5EncoderModel call implemented here");
        }
        checker.checkEquals("arguments.batch", args.get("batch").asInt(), ids.length);
        checker.checkEquals("arguments.seq_len", args.get("seq_len").asInt(), ids[0].length);
        if (args.get("prompts").exists()) {
            // the ids are the tokenizer's padded encoding of the prompts (the tokenizer cases check it in detail)
            T5Tokenizer tokenizer = T5Tokenizer.fromPretrained(c.modelDir().resolve("tokenizer"));
            List<T5Tokenizer.Encoding> enc = tokenizer.encode(strings(args.get("prompts")), ids[0].length);
            checker.checkLongs("in.input_ids", T5Goldens.flat(enc.stream().map(T5Tokenizer.Encoding::inputIds).toArray(int[][]::new)));
        } else {
            args.get("seed").asLong(); // the seed torch drew in.input_ids with; the ids themselves are the input
        }
        try (T5EncoderModel model = T5EncoderModel.fromPretrained(c.modelDir().resolve(c.read("model_subfolder").asText("text_encoder")))) {
            checker.checkLongs("out.relative_position_bucket", T5Goldens.flat(T5EncoderModel.relativePositionBuckets(ids[0].length, model.config())));
            Tensor last = model.forward(ids, mask, RunContext.NONE.withTaps((name, value) -> {
                TAPS.forEach((out, tap) -> {
                    if (tap.equals(name)) {
                        checker.checkExact(out, value);
                    }
                });
                if (name.matches("encoder\\.block\\.\\d+")) {
                    checker.check("out.layer" + name.substring("encoder.block.".length()) + "_output", value);
                }
            }));
            checker.check("out.last_hidden_state", last);
        }
    }

    private static List<String> strings(SpecNode n) {
        List<String> r = new ArrayList<>();
        n.forEach(x -> r.add(x.asText()));
        return r;
    }
}
