package dev.cogvideox.model.text;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A byte trie over the UTF-8 spelling of vocabulary pieces, answering common-prefix searches the way
 * SentencePiece's piece trie does (every piece that is a prefix of the input at a position, shortest first).
 * The matches do not depend on how the trie is stored, so a plain map-of-edges trie stands in for darts-clone.
 */
final class PieceTrie {
    /** Edge {@code (node << 8) | byte} to child node. */
    private final Map<Long, Integer> edges = new HashMap<>();
    /** Piece id ending at each node, or -1. */
    private int[] values = {-1};
    private int nodes = 1;

    void insert(String piece, int id) {
        int node = 0;
        for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
            long edge = ((long) node << 8) | (b & 0xff);
            Integer child = edges.get(edge);
            if (child == null) {
                child = nodes++;
                edges.put(edge, child);
                if (nodes > values.length) {
                    int old = values.length;
                    values = java.util.Arrays.copyOf(values, old * 2);
                    java.util.Arrays.fill(values, old, values.length, -1);
                }
            }
            node = child;
        }
        values[node] = id;
    }

    boolean isEmpty() {
        return nodes == 1;
    }

    /** Calls {@code match(lengthInBytes, id)} for every piece that is a prefix of {@code key[from..to)}, shortest first. */
    void commonPrefixSearch(byte[] key, int from, int to, DoubleArray.Match match) {
        int node = 0;
        for (int i = from; i < to; i++) {
            Integer child = edges.get(((long) node << 8) | (key[i] & 0xff));
            if (child == null) {
                return;
            }
            node = child;
            if (values[node] >= 0) {
                match.accept(i + 1 - from, values[node]);
            }
        }
    }
}
