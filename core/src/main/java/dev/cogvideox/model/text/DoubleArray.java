package dev.cogvideox.model.text;

/**
 * A read-only darts-clone {@code Darts::DoubleArray}: the trie format SentencePiece stores inside its
 * precompiled normalization charsmap. Each unit is a little-endian uint32 holding a label, an offset to the
 * children, a has-leaf flag, or (in leaf units) a value.
 */
final class DoubleArray {
    private final int[] units;

    /** Units read from {@code count} little-endian uint32 values at {@code blob[from..]}. */
    DoubleArray(byte[] blob, int from, int count) {
        units = new int[count];
        for (int i = 0; i < count; i++) {
            int o = from + 4 * i;
            units[i] = (blob[o] & 0xff) | (blob[o + 1] & 0xff) << 8 | (blob[o + 2] & 0xff) << 16 | (blob[o + 3] & 0xff) << 24;
        }
    }

    /** Receives one match of a common-prefix search. */
    @FunctionalInterface
    interface Match {
        void accept(int length, int value);
    }

    /**
     * Calls {@code match} for every key of the trie that is a prefix of {@code key[from..to)}, shortest first,
     * with the key's length in bytes and its value ({@code commonPrefixSearch}).
     */
    void commonPrefixSearch(byte[] key, int from, int to, Match match) {
        int nodePos = offset(units[0]);
        for (int i = from; i < to; i++) {
            int c = key[i] & 0xff;
            nodePos ^= c;
            if (nodePos >= units.length) {
                return;
            }
            int unit = units[nodePos];
            if (label(unit) != c) {
                return;
            }
            nodePos ^= offset(unit);
            if (nodePos >= units.length) {
                return;
            }
            if (hasLeaf(unit)) {
                match.accept(i + 1 - from, value(units[nodePos]));
            }
        }
    }

    private static boolean hasLeaf(int unit) {
        return ((unit >>> 8) & 1) == 1;
    }

    private static int value(int unit) {
        return unit & 0x7fffffff;
    }

    /** The label, with the top bit kept so that a leaf unit never equals a byte. */
    private static int label(int unit) {
        return unit & (0x80000000 | 0xff);
    }

    private static int offset(int unit) {
        return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
    }
}
