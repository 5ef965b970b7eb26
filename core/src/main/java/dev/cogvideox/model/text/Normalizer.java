package dev.cogvideox.model.text;

import dev.cogvideox.io.ModelFormatException;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * SentencePiece's {@code normalizer::Normalizer}: rewrites UTF-8 text with the model's precompiled charsmap
 * (for T5, {@code nmt_nfkc}: NFKC plus SentencePiece's whitespace and control-character rules), then applies
 * the whitespace options of the {@code NormalizerSpec}:
 * <ol>
 *   <li>leading whitespace is dropped and runs of spaces collapse to one ({@code remove_extra_whitespaces});</li>
 *   <li>a space is prepended ({@code add_dummy_prefix}; appended instead with {@code treat_whitespace_as_suffix});</li>
 *   <li>spaces become U+2581 ({@code escape_whitespaces});</li>
 *   <li>trailing whitespace is dropped.</li>
 * </ol>
 *
 * <p>The charsmap blob is {@code <uint32 trie size><darts-clone double array><NUL-separated replacement strings>};
 * the trie maps the longest matching input prefix to the offset of its replacement.
 */
final class Normalizer {
    private static final byte[] SPACE_SYMBOL = "\u2581".getBytes(StandardCharsets.UTF_8);
    private static final byte[] SPACE = {' '};

    private final ModelProto.NormalizerSpec spec;
    private final boolean treatWhitespaceAsSuffix;
    /** Null when the model has no precompiled charsmap (the "identity" normalizer). */
    private final DoubleArray trie;
    private final byte[] replacements;
    /** User-defined symbols, kept whole ({@code PrefixMatcher}); empty when the model has none. */
    private final PieceTrie userDefined;

    /** One step of normalization: the bytes {@code text[off..off+len)} replace {@code consumed} input bytes. */
    private record Prefix(byte[] text, int off, int len, int consumed) {
        boolean isSpace() {
            return len == 1 && text[off] == ' ';
        }
    }

    Normalizer(ModelProto.NormalizerSpec spec, boolean treatWhitespaceAsSuffix, PieceTrie userDefined, String source) {
        this.spec = spec;
        this.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix;
        this.userDefined = userDefined;
        byte[] blob = spec.precompiledCharsmap();
        if (blob.length == 0) {
            trie = null;
            replacements = null;
            return;
        }
        long trieSize = blob.length < 4 ? -1 : (blob[0] & 0xffL) | (blob[1] & 0xffL) << 8 | (blob[2] & 0xffL) << 16 | (blob[3] & 0xffL) << 24;
        if (trieSize < 0 || trieSize % 4 != 0 || trieSize >= blob.length - 4L) {
            throw new ModelFormatException(source + ": the precompiled normalization charsmap '" + spec.name() + "' is broken (trie size "
                    + trieSize + " in a blob of " + blob.length + " bytes)");
        }
        trie = new DoubleArray(blob, 4, (int) trieSize / 4);
        replacements = java.util.Arrays.copyOfRange(blob, 4 + (int) trieSize, blob.length);
    }

    /** Normalizes {@code input} (UTF-8); the result is UTF-8 with U+2581 for spaces, empty for blank input. */
    byte[] normalize(byte[] input) {
        int pos = 0;
        // 1. Leading whitespace (after normalization of each character) is dropped.
        if (spec.removeExtraWhitespaces()) {
            while (pos < input.length) {
                Prefix p = normalizePrefix(input, pos);
                if (!p.isSpace()) {
                    break;
                }
                pos += p.consumed();
            }
        }
        if (pos == input.length) {
            return new byte[0];
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(input.length * 3);
        byte[] space = spec.escapeWhitespaces() ? SPACE_SYMBOL : SPACE;
        // 2. Dummy prefix.
        if (!treatWhitespaceAsSuffix && spec.addDummyPrefix()) {
            out.writeBytes(space);
        }
        // 3. Character by character, skipping spaces that follow a space, escaping the rest.
        boolean prevSpace = spec.removeExtraWhitespaces();
        while (pos < input.length) {
            Prefix p = normalizePrefix(input, pos);
            int from = p.off(), end = p.off() + p.len();
            while (prevSpace && from < end && p.text()[from] == ' ') {
                from++;
            }
            if (from < end) {
                for (int i = from; i < end; i++) {
                    byte b = p.text()[i];
                    if (b == ' ') {
                        out.writeBytes(space);
                    } else {
                        out.write(b);
                    }
                }
                prevSpace = p.text()[end - 1] == ' ';
            }
            pos += p.consumed();
            if (!spec.removeExtraWhitespaces()) {
                prevSpace = false;
            }
        }
        byte[] normalized = out.toByteArray();
        // 4. Trailing whitespace is dropped.
        int len = normalized.length;
        if (spec.removeExtraWhitespaces()) {
            while (len >= space.length && java.util.Arrays.equals(normalized, len - space.length, len, space, 0, space.length)) {
                len -= space.length;
            }
        }
        if (treatWhitespaceAsSuffix && spec.addDummyPrefix()) {
            byte[] withSuffix = java.util.Arrays.copyOf(normalized, len + space.length);
            System.arraycopy(space, 0, withSuffix, len, space.length);
            return withSuffix;
        }
        return java.util.Arrays.copyOf(normalized, len);
    }

    /**
     * The normalization of the longest rule matching at {@code input[pos..]} ({@code NormalizePrefix}): a
     * user-defined symbol as is, else the charsmap's replacement, else the next UTF-8 character unchanged.
     */
    private Prefix normalizePrefix(byte[] input, int pos) {
        int[] best = {0, 0};
        userDefined.commonPrefixSearch(input, pos, input.length, (length, id) -> best[0] = Math.max(best[0], length));
        if (best[0] > 0) {
            return new Prefix(input, pos, best[0], best[0]);
        }
        if (trie != null) {
            trie.commonPrefixSearch(input, pos, input.length, (length, value) -> {
                if (length > best[0]) {
                    best[0] = length;
                    best[1] = value;
                }
            });
        }
        if (best[0] == 0) {
            int len = Math.min(oneCharLen(input[pos]), input.length - pos);
            return new Prefix(input, pos, len, len);
        }
        int end = best[1];
        while (end < replacements.length && replacements[end] != 0) {
            end++;
        }
        return new Prefix(replacements, best[1], end - best[1], best[0]);
    }

    /** Length of the UTF-8 sequence that starts with {@code lead} ({@code string_util::OneCharLen}). */
    static int oneCharLen(byte lead) {
        int hi = (lead & 0xff) >>> 4;
        return hi < 12 ? 1 : hi < 14 ? 2 : hi == 14 ? 3 : 4;
    }
}
