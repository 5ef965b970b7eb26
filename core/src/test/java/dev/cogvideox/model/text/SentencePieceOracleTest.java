package dev.cogvideox.model.text;

import ai.djl.sentencepiece.SpProcessor;
import ai.djl.sentencepiece.SpTokenizer;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Property test: the pure-Java tokenizer against Google's SentencePiece (the DJL binding, whose native library
 * comes from its jar) on thousands of seeded random strings mixing scripts, whitespace kinds, digits,
 * punctuation, NFKC compatibility characters and special-token look-alikes.
 */
class SentencePieceOracleTest {
    private static final int STRINGS = 4000;
    private static final long SEED = 20260522L;

    /** Fragments the generator strings together; each is a unit a prompt writer could plausibly type or paste. */
    private static final String[] FRAGMENTS = {
            // ASCII words, digits, punctuation
            "a", "the", "panda", "Panda", "PANDA", "guitar", "bamboo", "x", "Q", "zz", "0", "7", "42", "2024", "3.14", "1,000",
            ".", ",", "!", "?", "'", "\"", "-", "--", "(", ")", "[", "]", "{", "}", "/", "\\", "@", "#", "$", "%", "^", "&", "*",
            "_", "=", "+", "~", "`", "|", ":", ";", "<", ">", "...",
            // whitespace kinds (ASCII, NBSP, ideographic, en space, zero width, NEL, line/paragraph separators)
            " ", "  ", "\t", "\n", "\r\n", "\u000b", "\f", "\u00a0", "\u3000", "\u2002", "\u2009", "\u200b", "\u0085", "\u2028", "\u2029",
            "\u001c", "\u00ad", "\ufeff",
            // accents, NFKC compatibility characters, combining marks
            "é", "café", "naïve", "e\u0301", "Å", "ß", "ﬁ", "ﬂ", "①", "⑳", "Ａ", "ｚ", "１２", "½", "™", "℃", "ｶ", "ｱｲｳ", "㍿", "²", "…", "—", "“", "”",
            "\u0308", "Ⅻ", "ℌ", "𝐀",
            // other scripts
            "世界", "熊猫", "こんにちは", "カタカナ", "한국어", "αβγ", "Ωμέγα", "привет", "Ёж", "مرحبا", "שלום", "नमस्ते", "ภาษาไทย", "ქართული",
            "😀", "🐼🎸", "👍🏽", "🇯🇵", "∑", "∞", "€", "£", "¥",
            // special tokens and look-alikes
            "<pad>", "</s>", "<unk>", "<extra_id_0>", "<extra_id_99>", "<extra_id_100>", "<extra_id_", "extra_id_3>", "<s>", "</S>",
            "＜pad＞", "<\u200bpad>", "< pad>", "<pad >", "<<pad>>", "</s", "▁", "▁▁", "\u2581x",
            // control characters
            "\u0000", "\u0001", "\u007f", "\u009f",
    };

    @Test
    void matchesSentencePieceOnRandomText() throws Exception {
        Path tokenizerDir = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b/tokenizer");
        Path spiece = tokenizerDir.resolve("spiece.model");
        System.setProperty("ENGINE_CACHE_DIR", Path.of("target", "djl-cache").toAbsolutePath().toString());
        SentencePieceProcessor ours = SentencePieceProcessor.load(spiece);
        T5Tokenizer tokenizer = T5Tokenizer.fromPretrained(tokenizerDir);
        SplittableRandom random = new SplittableRandom(SEED);
        List<String> failures = new ArrayList<>();
        int checkedTokenizer = 0;
        try (SpTokenizer oracleTokenizer = new SpTokenizer(spiece)) {
            SpProcessor oracle = oracleTokenizer.getProcessor();
            for (int n = 0; n < STRINGS; n++) {
                String text = randomText(random);
                List<SentencePieceProcessor.Piece> got = ours.encode(text);
                List<String> pieces = got.stream().map(SentencePieceProcessor.Piece::piece).toList();
                int[] ids = got.stream().mapToInt(SentencePieceProcessor.Piece::id).toArray();
                List<String> wantPieces = Arrays.asList(oracle.tokenize(text));
                int[] wantIds = oracle.encode(text);
                if (!pieces.equals(wantPieces) || !Arrays.equals(ids, wantIds)) {
                    failures.add(describe(text) + ": got " + pieces + " " + Arrays.toString(ids) + ", SentencePiece " + wantPieces + " " + Arrays.toString(wantIds));
                }
                // Without an exact added token in the text, T5Tokenizer (legacy) is plain SentencePiece.
                if (!containsAddedToken(text)) {
                    checkedTokenizer++;
                    if (!tokenizer.tokenize(text).equals(wantPieces)) {
                        failures.add(describe(text) + ": T5Tokenizer gave " + tokenizer.tokenize(text) + ", SentencePiece " + wantPieces);
                    }
                }
            }
        }
        assertThat(checkedTokenizer).as("strings without added tokens").isGreaterThan(STRINGS / 4);
        assertThat(failures).as("disagreements with SentencePiece (%d strings, seed %d)", STRINGS, SEED).isEmpty();
    }

    /** 0 to 24 fragments, sometimes joined by spaces, sometimes by nothing. */
    private static String randomText(SplittableRandom random) {
        int parts = random.nextInt(25);
        boolean spaced = random.nextBoolean();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < parts; i++) {
            if (spaced && i > 0) {
                sb.append(' ');
            }
            sb.append(FRAGMENTS[random.nextInt(FRAGMENTS.length)]);
        }
        return sb.toString();
    }

    private static boolean containsAddedToken(String text) {
        return text.contains("<pad>") || text.contains("</s>") || text.contains("<unk>") || text.matches("(?s).*<extra_id_\\d+>.*");
    }

    private static String describe(String text) {
        StringBuilder sb = new StringBuilder("\"");
        text.codePoints().forEach(cp -> sb.append(cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || Character.isWhitespace(cp) && cp != ' '
                ? String.format("\\u%04x", cp) : Character.toString(cp)));
        return sb.append('"').toString();
    }
}
