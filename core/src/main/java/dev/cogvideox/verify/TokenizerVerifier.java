package dev.cogvideox.verify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cogvideox.model.text.SentencePieceProcessor;
import dev.cogvideox.model.text.T5Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code tokenizer} cases (JSON only): for every entry, the T5Tokenizer tokens and ids, the plain SentencePiece
 * pieces and ids, and the padded/truncated ids and masks at each {@code input_ids_<M>} length. All exact.
 */
final class TokenizerVerifier implements ComponentVerifier {
    @Override
    public String component() {
        return "tokenizer";
    }

    @Override
    public void verify(GoldenCase c, Checker checker) {
        T5Tokenizer tokenizer = T5Tokenizer.fromPretrained(c.modelDir().resolve(c.spec().path("tokenizer_subfolder").asText("tokenizer")));
        SentencePieceProcessor sp = tokenizer.spModel();
        JsonNode entries = c.spec().path("entries");
        for (int i = 0; i < entries.size(); i++) {
            JsonNode e = entries.get(i);
            String text = e.path("text").asText();
            String at = "entries." + i + ".";
            checker.checkEquals(at + "tokens", strings(e.path("tokens")), tokenizer.tokenize(text));
            checker.checkEquals(at + "ids", ints(e.path("ids")), Arrays.toString(tokenizer.encode(text)));
            List<SentencePieceProcessor.Piece> pieces = sp.encode(text);
            checker.checkEquals(at + "sp_pieces", strings(e.path("sp_pieces")), pieces.stream().map(SentencePieceProcessor.Piece::piece).toList());
            checker.checkEquals(at + "sp_ids", ints(e.path("sp_ids")), Arrays.toString(pieces.stream().mapToInt(SentencePieceProcessor.Piece::id).toArray()));
            e.properties().forEach(field -> {
                if (field.getKey().startsWith("input_ids_")) {
                    String len = field.getKey().substring("input_ids_".length());
                    T5Tokenizer.Encoding enc = tokenizer.encode(text, Integer.parseInt(len));
                    checker.checkEquals(at + field.getKey(), ints(field.getValue()), Arrays.toString(enc.inputIds()));
                    checker.checkEquals(at + "attention_mask_" + len, ints(e.path("attention_mask_" + len)), Arrays.toString(enc.attentionMask()));
                }
            });
        }
    }

    private static List<String> strings(JsonNode n) {
        List<String> r = new ArrayList<>();
        n.forEach(x -> r.add(x.asText()));
        return r;
    }

    private static String ints(JsonNode n) {
        List<Integer> r = new ArrayList<>();
        n.forEach(x -> r.add(x.asInt()));
        return r.toString();
    }
}
