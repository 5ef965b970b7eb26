package dev.cogvideox.model.text;

import dev.cogvideox.io.ModelFormatException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * SentencePiece's {@code unigram::Model}: the most likely segmentation of normalized text into vocabulary
 * pieces (Viterbi over piece log-probabilities), as {@code Model::EncodeOptimized} computes it.
 *
 * <p>Semantics kept from the reference, since they decide ties and unknown text:
 * <ul>
 *   <li>positions advance one UTF-8 character at a time; at each start the pieces are tried shortest first and
 *       a path replaces the stored best only when its score is strictly higher;</li>
 *   <li>a character that starts no single-character piece gets an unknown node scored
 *       {@code min(normal piece scores) - 10};</li>
 *   <li>UNUSED pieces never match; USER_DEFINED pieces score {@code bytes * max_score - 0.1} so they always win.</li>
 * </ul>
 */
final class UnigramModel {
    private static final float UNK_PENALTY = 10f;

    /** One piece of the best path: {@code normalized[begin..end)} is piece {@code id}. */
    record Segment(int begin, int end, int id) {
    }

    private final List<ModelProto.SentencePiece> pieces;
    private final PieceTrie trie = new PieceTrie();
    private final int unkId;
    private final float minScore;
    private final float maxScore;

    UnigramModel(List<ModelProto.SentencePiece> pieces, int unkId, String source) {
        this.pieces = pieces;
        this.unkId = unkId;
        float min = Float.MAX_VALUE, max = Float.MIN_VALUE;
        for (int id = 0; id < pieces.size(); id++) {
            ModelProto.SentencePiece p = pieces.get(id);
            switch (p.type()) {
                case NORMAL -> {
                    min = Math.min(min, p.score());
                    max = Math.max(max, p.score());
                    trie.insert(p.piece(), id);
                }
                case USER_DEFINED, UNUSED -> trie.insert(p.piece(), id);
                default -> {
                }
            }
        }
        if (trie.isEmpty()) {
            throw new ModelFormatException(source + ": the SentencePiece model has no normal pieces");
        }
        minScore = min;
        maxScore = max;
    }

    /** The best segmentation of {@code normalized} (UTF-8), left to right. */
    List<Segment> encode(byte[] normalized) {
        int size = normalized.length;
        if (size == 0) {
            return List.of();
        }
        float unkScore = minScore - UNK_PENALTY;
        // 1. Best path ending at each byte position: its score, the start of its last piece and that piece's id.
        float[] bestScore = new float[size + 1];
        int[] startsAt = new int[size + 1];
        int[] lastId = new int[size + 1];
        Arrays.fill(startsAt, -1);
        int pos = 0;
        while (pos < size) {
            int start = pos;
            float scoreHere = bestScore[start];
            int charLen = Math.min(Normalizer.oneCharLen(normalized[start]), size - start);
            boolean[] hasSingleChar = {false};
            trie.commonPrefixSearch(normalized, start, size, (length, id) -> {
                ModelProto.SentencePiece p = pieces.get(id);
                if (p.type() == ModelProto.Type.UNUSED) {
                    return;
                }
                // The reference's score is a double here (the ternary with 0.1 promotes it), so the sum is too.
                double score = p.type() == ModelProto.Type.USER_DEFINED ? length * maxScore - 0.1 : p.score();
                relax(bestScore, startsAt, lastId, start, start + length, id, score + scoreHere);
                hasSingleChar[0] |= length == charLen;
            });
            if (!hasSingleChar[0]) {
                relax(bestScore, startsAt, lastId, start, start + charLen, unkId, scoreHere + unkScore);
            }
            pos += charLen;
        }
        // 2. Backtrack from the end.
        List<Segment> out = new ArrayList<>();
        for (int end = size; end > 0; end = startsAt[end]) {
            out.add(new Segment(startsAt[end], end, lastId[end]));
        }
        return out.reversed();
    }

    /** Keeps the path through piece {@code id} over {@code [start, end)} when it is the first or strictly better. */
    private static void relax(float[] bestScore, int[] startsAt, int[] lastId, int start, int end, int id, double score) {
        if (startsAt[end] == -1 || score > bestScore[end]) {
            bestScore[end] = (float) score;
            startsAt[end] = start;
            lastId[end] = id;
        }
    }
}
