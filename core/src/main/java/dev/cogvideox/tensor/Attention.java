package dev.cogvideox.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Multi-head attention {@code softmax(scale · Q K^T + bias) V} as a flash attention: groups of query blocks
 * walk over blocks of {@code BK} keys with an online softmax, so the L x L score matrix is never materialised
 * and each key/value block is reused from cache by the whole group.
 *
 * <p>Layout: q {@code [B, Lq, H*D]}, k and v {@code [B, Lk, H*D]} (head h owns columns {@code h*D..h*D+D}),
 * output {@code [B, Lq, H*D]}: the layout the projections produce, so no transpose is needed outside.
 *
 * <p>Queries run along the vector lanes throughout: the scores of a block are kept transposed,
 * {@code S^T[j][i] = sum_d K[j][d] · Q^T[d][i]}, and so is the output, {@code O^T[d][i] += sum_j V^T[d][j] · P^T[j][i]}.
 * Both products are {@link TileKernel} tiles. The running max and sum of each query are lanewise vectors, so the
 * softmax needs no horizontal reductions. Scores are kept in base 2 ({@code scale · log2 e} is folded into Q^T)
 * so that each probability is one {@link VectorMath#exp2}.
 *
 * <p>Heads run one after the other: each head's K and transposed V are first copied into the tile's packed layout
 * (once per head, shared by every query task of the head; strided rows of one head would cost a TLB miss per key), then
 * both threads take query tasks of that head, which keeps the head's K and V in the shared cache. A query row's
 * result depends only on the fixed key order, so any thread count gives identical bits.
 */
public final class Attention {
    private static final VectorSpecies<Float> S = TileKernel.S;
    private static final int L = TileKernel.L;
    private static final int ROWS = TileKernel.ROWS;
    /** Queries per block: one tile width. */
    private static final int BQ = TileKernel.COLS;
    /** Keys per online-softmax step, whole tiles: the block's K and V^T (30 KB each at D = 64) stay in L2 for the whole group. */
    private static final int BK = 20 * ROWS;
    /** Query blocks per task: each key/value block brought into cache serves GROUP * BQ queries. */
    private static final int GROUP = 4;

    private Attention() {
    }

    /**
     * The keys a block of queries attends, for block-sparse attention: for head {@code h} and queries
     * {@code [i0, i0 + n)}, sorted disjoint ranges {@code [start0, end0, start1, end1, ...]} of keys, or null for all
     * keys. Keys outside the ranges are masked out exactly (as a -inf bias would), and their blocks are skipped.
     */
    @FunctionalInterface
    public interface KeySelection {
        int[] keyRanges(int h, int i0, int n);
    }

    /**
     * @param bias optional additive bias {@code [H, Lq, Lk]} (T5's relative position bias), or null
     */
    static Tensor attend(Tensor q, Tensor k, Tensor v, int heads, float scale, Tensor bias) {
        return attend(q, k, v, heads, scale, bias, null);
    }

    /**
     * {@link #attend(Tensor, Tensor, Tensor, int, float, Tensor)} where each query task attends only the keys that
     * {@code keys} selects for it (null: all keys, the same computation as without it).
     */
    static Tensor attend(Tensor q, Tensor k, Tensor v, int heads, float scale, Tensor bias, KeySelection keys) {
        int b = q.dim(0), lq = q.dim(1), width = q.dim(2);
        int lk = k.dim(1);
        if (q.rank() != 3 || k.rank() != 3 || v.rank() != 3 || width % heads != 0 || k.dim(2) != width || v.dim(2) != width
                || k.dim(0) != b || v.dim(0) != b || v.dim(1) != lk || lk == 0) {
            throw new IllegalArgumentException("attention: q " + q + ", k " + k + ", v " + v + " with " + heads + " heads do not agree");
        }
        if (bias != null) {
            bias.requireShape("attention bias", heads, lq, lk);
        }
        int d = width / heads;
        int dp = (d + 1 + ROWS - 1) / ROWS * ROWS;
        Tensor out = Tensor.zeros(b, lq, width);
        // One head's keys and transposed values in the tile's A layout (panels of ROWS rows, k-major): keys
        // [Lk / ROWS][D][ROWS] (the padding keys stay zero) and values transposed [DP / ROWS][Lk][ROWS], DP > D:
        // row D is all ones, so the P·V tiles also accumulate the softmax denominators (with the same online
        // rescaling), the other padding rows stay zero.
        float[] kh = new float[(lk + ROWS - 1) / ROWS * ROWS * d];
        float[] vt = new float[dp * lk];
        for (int j = 0; j < lk; j++) {
            vt[TileKernel.packedIndex(d, j, lk)] = 1f;
        }
        Flash f = new Flash(q.data(), bias == null ? null : bias.data(), out.data(), kh, vt, lq, lk, width, d, dp,
                scale * VectorMath.LOG2E, keys);
        // Query blocks per task: up to GROUP, fewer when a head has too few blocks to keep every thread busy
        // (T5's 226 tokens). Each block's result does not depend on its group.
        int qBlocks = (lq + BQ - 1) / BQ;
        int group = Math.clamp((qBlocks + Parallel.threads() - 1) / Parallel.threads(), 1, GROUP);
        int span = group * BQ;
        int tasks = (lq + span - 1) / span;
        float[] kd = k.data(), vd = v.data();
        for (int bb = 0; bb < b; bb++) {
            for (int h = 0; h < heads; h++) {
                int base = bb * lk * width + h * d;
                Parallel.forRange(lk, 256, (j0, j1) -> {
                    for (int j = j0; j < j1; j++) {
                        for (int e = 0; e < d; e++) {
                            kh[TileKernel.packedIndex(j, e, d)] = kd[base + j * width + e];
                            vt[TileKernel.packedIndex(e, j, lk)] = vd[base + j * width + e];
                        }
                    }
                });
                int bh = bb, hh = h;
                TaskQueue.forEach(tasks, () -> {
                    Scratch s = new Scratch(d, dp);
                    return t -> f.task(s, bh, hh, t * span, Math.min(span, lq - t * span));
                });
            }
        }
        return out;
    }

    /** Per-thread working memory of one task (up to {@code GROUP} query blocks). */
    private static final class Scratch {
        final float[] qt;        // [GROUP][D][BQ] scaled, transposed queries
        final float[] ot;        // [GROUP][DP][BQ] unnormalised outputs, transposed; row D holds the denominators
        final float[] max;       // [GROUP][BQ] running max of the base-2 scores
        final float[] st = new float[BK * BQ];  // [BK][BQ] scores, then probabilities, transposed
        final float[] alpha = new float[BQ];     // rescale of the old terms after a new max

        Scratch(int d, int dp) {
            qt = new float[GROUP * d * BQ];
            ot = new float[GROUP * dp * BQ];
            max = new float[GROUP * BQ];
        }
    }

    private record Flash(float[] q, float[] bias, float[] out, float[] kh, float[] vt, int lq, int lk, int width, int d, int dp,
                         float qScale, KeySelection keys) {

        /** Queries {@code [i0, i0 + nq)} of head h in batch bb, at most {@code GROUP} blocks. */
        void task(Scratch s, int bb, int h, int i0, int nq) {
            int groups = (nq + BQ - 1) / BQ;
            // 1. Q^T of each query block, scaled by scale · log2 e; padding lanes stay zero and are never stored.
            Arrays.fill(s.qt, 0f);
            for (int i = 0; i < nq; i++) {
                int qi = (bb * lq + i0 + i) * width + h * d;
                int dst = (i / BQ) * d * BQ + i % BQ;
                for (int e = 0; e < d; e++) {
                    s.qt[dst + e * BQ] = q[qi + e] * qScale;
                }
            }
            Arrays.fill(s.ot, 0f);
            Arrays.fill(s.max, Float.NEGATIVE_INFINITY);
            int[] ranges = keys == null ? null : keys.keyRanges(h, i0, nq);
            if (ranges == null) {
                for (int j0 = 0; j0 < lk; j0 += BK) {
                    int nk = Math.min(BK, lk - j0);
                    for (int g = 0; g < groups; g++) {
                        step(s, g, i0 + g * BQ, h, j0, nk, null);
                    }
                }
            } else {
                // The ranges widened to whole tiles of ROWS keys (the packed layout's panels) and merged where they
                // meet; the keys a segment gains are masked in step.
                int r = 0;
                while (r < ranges.length) {
                    int start = Math.min(lk, ranges[r] / ROWS * ROWS), end = Math.min(lk, (ranges[r + 1] + ROWS - 1) / ROWS * ROWS);
                    r += 2;
                    while (r < ranges.length && ranges[r] / ROWS * ROWS <= end) {
                        end = Math.max(end, Math.min(lk, (ranges[r + 1] + ROWS - 1) / ROWS * ROWS));
                        r += 2;
                    }
                    for (int j0 = start; j0 < end; j0 += BK) {
                        int nk = Math.min(BK, end - j0);
                        for (int g = 0; g < groups; g++) {
                            step(s, g, i0 + g * BQ, h, j0, nk, ranges);
                        }
                    }
                }
            }
            // 5. Normalise by the softmax denominators and store the blocks back in [B, Lq, H*D] order.
            for (int i = 0; i < nq; i++) {
                int src = (i / BQ) * dp * BQ + i % BQ;
                float inv = 1f / s.ot[src + d * BQ];
                int oi = (bb * lq + i0 + i) * width + h * d;
                for (int e = 0; e < d; e++) {
                    out[oi + e] = s.ot[src + e * BQ] * inv;
                }
            }
        }

        /**
         * One online-softmax step of query block g (queries from {@code qi0}) over keys {@code [j0, j0 + nk)}, of which
         * those outside {@code ranges} (null: none) are masked out.
         */
        private void step(Scratch s, int g, int qi0, int h, int j0, int nk, int[] ranges) {
            int qt = g * d * BQ, ot = g * dp * BQ, ms = g * BQ;
            // 2. S^T = K_blk · Q^T, 6 keys per tile (scores of the padding keys past nk are ignored).
            for (int jt = 0; jt < nk; jt += ROWS) {
                TileKernel.tile(kh, TileKernel.packedIndex(j0 + jt, 0, d), d, s.qt, qt, TileKernel.ZERO, 0, 0, null, s.st, jt * BQ, BQ);
            }
            if (bias != null) {
                int nq = Math.min(BQ, lq - qi0);
                for (int j = 0; j < nk; j++) {
                    for (int i = 0; i < nq; i++) {
                        s.st[j * BQ + i] += VectorMath.LOG2E * bias[(h * lq + qi0 + i) * lk + j0 + j];
                    }
                }
            }
            if (ranges != null && !inside(ranges, j0, j0 + nk)) {
                for (int j = 0; j < nk; j++) {
                    if (!inside(ranges, j0 + j, j0 + j + 1)) {
                        Arrays.fill(s.st, j * BQ, (j + 1) * BQ, Float.NEGATIVE_INFINITY);
                    }
                }
            }
            // 3. Online softmax, lanewise per query: new max, P = 2^(S - max), rescale factor alpha of the old terms.
            for (int c = 0; c < BQ; c += L) {
                FloatVector mOld = FloatVector.fromArray(S, s.max, ms + c);
                // The max over the keys as four independent compare-and-blend chains: one chain is latency-bound
                // (2.2 ns per key and 16 queries measured on Zen 5, as long as the exponential that follows).
                FloatVector m = mOld, m1 = mOld, m2 = mOld, m3 = mOld;
                int j = 0;
                for (; j + 4 <= nk; j += 4) {
                    FloatVector s0 = FloatVector.fromArray(S, s.st, j * BQ + c), s1 = FloatVector.fromArray(S, s.st, (j + 1) * BQ + c),
                            s2 = FloatVector.fromArray(S, s.st, (j + 2) * BQ + c), s3 = FloatVector.fromArray(S, s.st, (j + 3) * BQ + c);
                    m = m.blend(s0, m.lt(s0));
                    m1 = m1.blend(s1, m1.lt(s1));
                    m2 = m2.blend(s2, m2.lt(s2));
                    m3 = m3.blend(s3, m3.lt(s3));
                }
                for (; j < nk; j++) {
                    FloatVector sj = FloatVector.fromArray(S, s.st, j * BQ + c);
                    m = m.blend(sj, m.lt(sj));
                }
                m = m.blend(m1, m.lt(m1));
                m2 = m2.blend(m3, m2.lt(m3));
                m = m.blend(m2, m.lt(m2));
                // While every score so far is -inf (a masking bias), subtract 0 instead: P = alpha = 0, not NaN.
                FloatVector mSub = m.blend(0f, m.eq(Float.NEGATIVE_INFINITY));
                for (j = 0; j < nk; j++) {
                    VectorMath.exp2(FloatVector.fromArray(S, s.st, j * BQ + c).sub(mSub)).intoArray(s.st, j * BQ + c);
                }
                VectorMath.exp2(mOld.sub(mSub)).intoArray(s.alpha, c);
                m.intoArray(s.max, ms + c);
            }
            // 4. O^T = alpha ⊙ O^T + V^T_blk · P^T, 6 head dimensions per tile (D = 64 is padded to 66, the first
            //    padding row sums P).
            for (int dt = 0; dt < dp; dt += ROWS) {
                TileKernel.tile(vt, TileKernel.packedIndex(dt, j0, lk), nk, s.st, 0, s.ot, ot + dt * BQ, BQ, s.alpha, s.ot, ot + dt * BQ, BQ);
            }
        }

        /** Whether keys {@code [a, b)} lie in one of the ranges. */
        private static boolean inside(int[] ranges, int a, int b) {
            for (int r = 0; r < ranges.length; r += 2) {
                if (ranges[r] <= a && b <= ranges[r + 1]) {
                    return true;
                }
            }
            return false;
        }
    }
}
