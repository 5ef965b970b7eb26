package dev.cogvideox.model.transformer;

import dev.cogvideox.model.ProcessGroup;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Tensor;

/**
 * Ulysses sequence parallelism for one forward over a {@link ProcessGroup} of P ranks. The joint stream's
 * {@code L = T + N} tokens are cut into P contiguous slices (the first {@code L mod P} one token longer), one per
 * rank; everything in a block but attention works token by token on the rank's slice. Around attention two
 * all-to-all exchanges move q, k and v from "this rank's tokens of every head" {@code [B, s, H*hd]} to "every token of
 * this rank's H/P heads" {@code [B, L, H/P*hd]}, and the attention output back. Attention's heads are independent, so
 * each rank's heads see exactly the keys and values they would in one process.
 *
 * <p>One rank (the single-process forward) is the same code: one slice, the whole stream, and every exchange returns
 * its input.
 */
final class SequenceParallel {
    private final ProcessGroup group;
    private final int textLen, heads;
    private final int[] starts;                               // starts[r]: rank r's first token; starts[P] = L

    SequenceParallel(ProcessGroup group, int textLen, int tokens, int heads) {
        int p = group.size();
        if (heads % p != 0) {
            throw new IllegalArgumentException("sequence parallel over " + p + " ranks gives each rank heads / " + p
                    + " attention heads, but the model has " + heads + " heads: run a number of sequence ranks that divides " + heads);
        }
        if (tokens < p) {
            throw new IllegalArgumentException("sequence parallel over " + p + " ranks needs at least " + p + " tokens, the stream has " + tokens);
        }
        this.group = group;
        this.textLen = textLen;
        this.heads = heads;
        this.starts = new int[p + 1];
        for (int r = 0; r < p; r++) {
            starts[r + 1] = starts[r] + tokens / p + (r < tokens % p ? 1 : 0);
        }
    }

    int size() {
        return group.size();
    }

    /** The whole stream's text length (its first tokens). */
    int textLen() {
        return textLen;
    }

    /** The text tokens at the front of this rank's slice. */
    int localTextLen() {
        return Math.clamp(textLen - start(), 0, length());
    }

    /** The attention heads this rank computes. */
    int localHeads() {
        return heads / group.size();
    }

    private int start() {
        return starts[group.rank()];
    }

    private int length() {
        return starts[group.rank() + 1] - start();
    }

    /** This rank's tokens of the stream {@code [B, L, D]}: {@code [B, s, D]} (the stream itself on one rank). */
    Tensor slice(Tensor stream) {
        return size() == 1 ? stream : Layout.narrow(stream, 1, start(), length());
    }

    /** The rows of the video tokens' RoPE table that this rank's slice holds (null for none or no table). */
    Embeddings.RotaryTable rope(Embeddings.RotaryTable rope) {
        if (rope == null || size() == 1) {
            return rope;
        }
        int first = Math.max(start(), textLen), count = start() + length() - first;
        return count <= 0 ? null : new Embeddings.RotaryTable(Layout.narrow(rope.cos(), 0, first - textLen, count),
                Layout.narrow(rope.sin(), 0, first - textLen, count));
    }

    /** Every rank's slice {@code [B, s_r, D]} back into the whole stream {@code [B, L, D]} (all-gather). */
    Tensor gather(Tensor local) {
        if (size() == 1) {
            return local;
        }
        int b = local.dim(0), d = local.dim(2), p = size();
        int[] counts = new int[p];
        for (int r = 0; r < p; r++) {
            counts[r] = b * rows(r) * d;
        }
        float[] all = new float[b * starts[p] * d];
        group.allGather(local.data(), all, counts);
        Tensor out = Tensor.zeros(b, starts[p], d);
        float[] o = out.data();
        int from = 0;
        for (int r = 0; r < p; r++) {                          // rank r's block [B][s_r][D]
            for (int bb = 0; bb < b; bb++) {
                System.arraycopy(all, from + bb * rows(r) * d, o, (bb * starts[p] + starts[r]) * d, rows(r) * d);
            }
            from += counts[r];
        }
        return out;
    }

    /** Before attention: this rank's tokens of every head {@code [B, s, H*hd]} to every token of its heads {@code [B, L, H/P*hd]}. */
    Tensor toHeads(Tensor x) {
        if (size() == 1) {
            return x;
        }
        int b = x.dim(0), w = x.dim(2), p = size(), cw = w / p, s = length(), l = starts[p];
        float[] xd = x.data(), send = new float[b * s * w];
        int[] sendCounts = new int[p], recvCounts = new int[p];
        for (int j = 0, at = 0; j < p; j++) {                  // for rank j: [B][s][columns of j's heads]
            for (int row = 0; row < b * s; row++, at += cw) {
                System.arraycopy(xd, row * w + j * cw, send, at, cw);
            }
            sendCounts[j] = b * s * cw;
            recvCounts[j] = b * rows(j) * cw;
        }
        float[] recv = new float[b * l * cw];
        group.allToAll(send, sendCounts, recv, recvCounts);
        Tensor out = Tensor.zeros(b, l, cw);
        float[] o = out.data();
        for (int r = 0, at = 0; r < p; r++) {                  // from rank r: [B][s_r][cw], its tokens
            for (int bb = 0; bb < b; bb++, at += rows(r) * cw) {
                System.arraycopy(recv, at, o, (bb * l + starts[r]) * cw, rows(r) * cw);
            }
        }
        return out;
    }

    /** After attention, the inverse of {@link #toHeads}: {@code [B, L, H/P*hd]} of this rank's heads to {@code [B, s, H*hd]}. */
    Tensor toTokens(Tensor y) {
        if (size() == 1) {
            return y;
        }
        int b = y.dim(0), cw = y.dim(2), p = size(), s = length(), l = starts[p], w = cw * p;
        float[] yd = y.data(), send = new float[b * l * cw];
        int[] sendCounts = new int[p], recvCounts = new int[p];
        for (int j = 0, at = 0; j < p; j++) {                  // for rank j: [B][s_j][cw], j's tokens
            for (int bb = 0; bb < b; bb++, at += rows(j) * cw) {
                System.arraycopy(yd, (bb * l + starts[j]) * cw, send, at, rows(j) * cw);
            }
            sendCounts[j] = b * rows(j) * cw;
            recvCounts[j] = b * s * cw;
        }
        float[] recv = new float[b * s * w];
        group.allToAll(send, sendCounts, recv, recvCounts);
        Tensor out = Tensor.zeros(b, s, w);
        float[] o = out.data();
        for (int r = 0, at = 0; r < p; r++) {                  // from rank r: [B][s][columns of r's heads]
            for (int row = 0; row < b * s; row++, at += cw) {
                System.arraycopy(recv, at, o, row * w + r * cw, cw);
            }
        }
        return out;
    }

    private int rows(int rank) {
        return starts[rank + 1] - starts[rank];
    }
}
