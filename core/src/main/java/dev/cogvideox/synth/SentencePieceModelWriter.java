package dev.cogvideox.synth;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A small SentencePiece unigram {@code spiece.model} (protobuf {@code ModelProto}) for synthetic checkpoints:
 * T5's special pieces ({@code <pad>} 0, {@code </s>} 1, {@code <unk>} 2, no bos), printable ASCII, {@code ▁}-prefixed
 * letters and common English words, and the identity normalizer. It tokenises any prompt, so a synthetic model
 * runs end to end; it is not the real T5 vocabulary. {@link #model(Collection)} takes another word list (the
 * procedural world's default model uses its captions' words, so every caption is one piece per word).
 */
public final class SentencePieceModelWriter {
    private static final String SPACE = "\u2581";
    static final List<String> WORDS = List.of("the", "a", "an", "of", "and", "in", "on", "with", "at", "to", "is", "are",
            "cat", "dog", "man", "woman", "child", "city", "sea", "sky", "sun", "night", "light", "red", "blue", "green",
            "walks", "runs", "flies", "street", "forest", "mountain", "river", "beach", "car", "bird", "fish", "tree",
            "video", "camera", "slow", "motion", "close", "up", "view", "over", "under", "through", "golden", "hour");

    private SentencePieceModelWriter() {
    }

    /** The pieces in id order (without the 100 extra ids, which the tokenizer adds after them). */
    static List<String> pieces() {
        return pieces(WORDS);
    }

    /** The pieces of a vocabulary of {@code words} (each a {@code ▁}-prefixed piece) plus the letters and printable ASCII. */
    static List<String> pieces(Collection<String> words) {
        Set<String> p = new LinkedHashSet<>(List.of("<pad>", "</s>", "<unk>", SPACE));
        words.forEach(w -> p.add(SPACE + w));
        for (char c = 'a'; c <= 'z'; c++) {
            p.add(SPACE + c);
        }
        for (char c = '!'; c <= '~'; c++) {
            p.add(String.valueOf(c));
        }
        return List.copyOf(p);
    }

    /** The serialised {@code ModelProto}. */
    public static byte[] model() {
        return model(WORDS);
    }

    /** The serialised {@code ModelProto} of a vocabulary of {@code words} (no spaces in a word). */
    public static byte[] model(Collection<String> words) {
        for (String w : words) {
            if (w.isEmpty() || w.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("vocabulary word '" + w + "': a piece is one word, without spaces");
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> pieces = pieces(words);
        for (int i = 0; i < pieces.size(); i++) {
            String piece = pieces.get(i);
            ByteArrayOutputStream p = new ByteArrayOutputStream();
            bytesField(p, 1, piece.getBytes(StandardCharsets.UTF_8));
            // score: longer pieces are preferred (-1 per character, words better than their letters)
            fixed32Field(p, 2, Float.floatToIntBits(i < 3 ? 0f : -piece.codePointCount(0, piece.length()) - 1f + (piece.length() > 2 ? 0.5f : 0f)));
            varintField(p, 3, i < 2 ? 3 : i == 2 ? 2 : 1);                  // CONTROL, UNKNOWN, NORMAL
            bytesField(out, 1, p.toByteArray());
        }
        ByteArrayOutputStream trainer = new ByteArrayOutputStream();
        varintField(trainer, 3, 1);                                          // model_type UNIGRAM
        varintField(trainer, 4, pieces.size());                              // vocab_size
        varintField(trainer, 40, 2);                                         // unk_id
        varintField(trainer, 41, -1);                                        // bos_id: none
        varintField(trainer, 42, 1);                                         // eos_id
        varintField(trainer, 43, 0);                                         // pad_id
        bytesField(out, 2, trainer.toByteArray());
        ByteArrayOutputStream normalizer = new ByteArrayOutputStream();
        bytesField(normalizer, 1, "identity".getBytes(StandardCharsets.UTF_8));
        varintField(normalizer, 3, 1);                                       // add_dummy_prefix
        varintField(normalizer, 4, 1);                                       // remove_extra_whitespaces
        varintField(normalizer, 5, 1);                                       // escape_whitespaces
        bytesField(out, 3, normalizer.toByteArray());
        return out.toByteArray();
    }

    /** T5's {@code vocab_size} for a vocabulary of {@code words}: its pieces and the 100 extra ids, rounded up to 128. */
    public static int vocabSize(Collection<String> words) {
        return (pieces(words).size() + 100 + 127) / 128 * 128;
    }

    private static void varintField(ByteArrayOutputStream out, int field, long value) {
        varint(out, (long) field << 3);
        varint(out, value);                                                  // negative int32s take ten bytes, as in protobuf
    }

    private static void fixed32Field(ByteArrayOutputStream out, int field, int bits) {
        varint(out, ((long) field << 3) | 5);
        for (int i = 0; i < 4; i++) {
            out.write(bits >>> (8 * i));
        }
    }

    private static void bytesField(ByteArrayOutputStream out, int field, byte[] bytes) {
        varint(out, ((long) field << 3) | 2);
        varint(out, bytes.length);
        out.writeBytes(bytes);
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}
