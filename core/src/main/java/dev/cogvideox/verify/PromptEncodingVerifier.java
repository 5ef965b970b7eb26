package dev.cogvideox.verify;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.text.PromptEncoder;
import dev.cogvideox.model.text.T5EncoderModel;
import dev.cogvideox.model.text.T5Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code prompt_encoding} cases: {@code CogVideoXPipeline.encode_prompt} from prompt strings through the model's
 * {@code tokenizer/} and {@code text_encoder/}. Ids and masks exact; embeddings within the case's tolerance.
 */
final class PromptEncodingVerifier implements ComponentVerifier {
    @Override
    public String component() {
        return "prompt_encoding";
    }

    @Override
    public void verify(GoldenCase c, Checker checker) {
        SpecNode args = c.arguments();
        Implemented.float32Cpu(args);
        T5Tokenizer tokenizer = T5Tokenizer.fromPretrained(c.modelDir().resolve(c.read("tokenizer_subfolder").asText("tokenizer")));
        try (T5EncoderModel encoder = T5EncoderModel.fromPretrained(c.modelDir().resolve(c.read("text_encoder_subfolder").asText("text_encoder")))) {
            PromptEncoder.PromptEmbeds out = new PromptEncoder(tokenizer, encoder, PromptEncoder.LOG_WARNING).encodePrompt(strings(args.get("prompt")),
                    strings(args.get("negative_prompt")), args.get("do_classifier_free_guidance").asBoolean(),
                    args.get("num_videos_per_prompt").exists() ? args.get("num_videos_per_prompt").asInt() : 1,
                    args.get("max_sequence_length").exists() ? args.get("max_sequence_length").asInt() : 226, RunContext.NONE);
            check(c, checker, "out.text", "out.prompt_embeds", out.prompt());
            if (c.has("out.negative_prompt_embeds")) {
                check(c, checker, "out.negative_text", "out.negative_prompt_embeds", out.negative());
            }
        }
    }

    private static void check(GoldenCase c, Checker checker, String inputs, String embeds, PromptEncoder.TextEmbeds got) {
        checker.checkLongs(inputs + "_input_ids", T5Goldens.flat(got.textInputs().stream().map(T5Tokenizer.Encoding::inputIds).toArray(int[][]::new)));
        checker.checkLongs(inputs + "_attention_mask", T5Goldens.flat(got.textInputs().stream().map(T5Tokenizer.Encoding::attentionMask).toArray(int[][]::new)));
        checker.check(embeds, got.embeds());
    }

    /** A JSON string, list of strings, or null as a list (null gives an empty list). */
    private static List<String> strings(SpecNode n) {
        List<String> r = new ArrayList<>();
        if (!n.hasValue()) {
            return r;
        }
        if (n.isText()) {
            r.add(n.asText());
        } else {
            n.forEach(x -> r.add(x.asText()));
        }
        return r;
    }
}
