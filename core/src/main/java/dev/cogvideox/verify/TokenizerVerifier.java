package dev.cogvideox.verify;

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
        T5Tokenizer tokenizer = T5Tokenizer.fromPretrained(c.modelDir().resolve(c.read("tokenizer_subfolder").asText("tokenizer")));
        SentencePieceProcessor sp = tokenizer.spModel();
        SpecNode entries = c.read("entries");
        for (int i = 0; i < entries.size(); i++) {
            SpecNode e = entries.at(i);
            String text = e.get("text").asText();
            String at = "entries." + i + ".";
            checker.checkEquals(at + "tokens", strings(e.get("tokens")), tokenizer.tokenize(text));
            checker.checkEquals(at + "ids", ints(e.get("ids")), Arrays.toString(tokenizer.encode(text)));
            checker.checkEquals(at + "num_ids", e.get("num_ids").asInt(), tokenizer.encode(text).length);
            List<SentencePieceProcessor.Piece> pieces = sp.encode(text);
            checker.checkEquals(at + "sp_pieces", strings(e.get("sp_pieces")), pieces.stream().map(SentencePieceProcessor.Piece::piece).toList());
            checker.checkEquals(at + "sp_ids", ints(e.get("sp_ids")), Arrays.toString(pieces.stream().mapToInt(SentencePieceProcessor.Piece::id).toArray()));
            for (String key : e.keys()) {
                if (key.startsWith("input_ids_")) {
                    String len = key.substring("input_ids_".length());
                    T5Tokenizer.Encoding enc = tokenizer.encode(text, Integer.parseInt(len));
                    checker.checkEquals(at + key, ints(e.get(key)), Arrays.toString(enc.inputIds()));
                    checker.checkEquals(at + "attention_mask_" + len, ints(e.get("attention_mask_" + len)), Arrays.toString(enc.attentionMask()));
                }
            }
        }
        checkVocab(c.read("vocab"), tokenizer, checker);
    }

    /** The vocabulary facts the case records: piece count, extra ids, special ids, where the extra ids sit. */
    private static void checkVocab(SpecNode vocab, T5Tokenizer tokenizer, Checker checker) {
        SentencePieceProcessor sp = tokenizer.spModel();
        checker.checkEquals("vocab.sentencepiece_pieces", vocab.get("sentencepiece_pieces").asInt(), sp.getPieceSize());
        checker.checkEquals("vocab.tokenizer_len", vocab.get("tokenizer_len").asInt(), tokenizer.size());
        checker.checkEquals("vocab.extra_ids", vocab.get("extra_ids").asInt(), tokenizer.size() - sp.getPieceSize());
        checker.checkEquals("vocab.pad_id", vocab.get("pad_id").asInt(), tokenizer.padTokenId());
        checker.checkEquals("vocab.eos_id", vocab.get("eos_id").asInt(), tokenizer.eosTokenId());
        checker.checkEquals("vocab.unk_id", vocab.get("unk_id").asInt(), sp.unkId());
        for (String key : vocab.keys()) {
            if (key.startsWith("extra_id_")) {
                checker.checkEquals("vocab." + key, vocab.get(key).asInt(), tokenizer.convertTokensToIds(List.of("<" + key + ">"))[0]);
            }
        }
    }

    private static List<String> strings(SpecNode n) {
        List<String> r = new ArrayList<>();
        n.forEach(x -> r.add(x.asText()));
        return r;
    }

    private static String ints(SpecNode n) {
        List<Integer> r = new ArrayList<>();
        n.forEach(x -> r.add(x.asInt()));
        return r.toString();
    }
}
