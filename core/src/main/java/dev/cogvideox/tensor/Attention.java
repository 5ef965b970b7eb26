package dev.cogvideox.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Multi-head attention {@code softmax(scale · Q K^T + bias) V} as a flash attention: blocks of {@code COLS}
 * queries walk over blocks of {@code BK} keys with an online softmax, so the L x L score matrix is never
 * materialised and each key/value block is reused by the whole query block from cache.
 *
 * <p>Layout: q {@code [B, Lq, H*D]}, k and v {@code [B, Lk, H*D]} (head h owns columns {@code h*D..h*D+D}),
 * output {@code [B, Lq, H*D]}: the layout the projections produce, so no transpose is needed.
 *
 * <p>Queries run along the vector lanes throughout: the scores of a block are kept transposed,
 * {@code S^T[j][i] = sum_d K[j][d] · Q^T[d][i]}, and the output transposed, {@code O^T[d][i] += sum_j V[j][d] · P^T[j][i]}.
 * Both products are {@link TileKernel} tiles reading K and V in place (K rows at stride H*D, V transposed by
 * its strides); only the query block is copied (transposed, once per task). The running max and sum of each
 * query are then lanewise vectors, so the softmax needs no horizontal reductions. Scores are kept in base 2
 * ({@code scale · log2 e} is folded into Q^T) so that each probability is one {@link VectorMath#exp2}.
 *
 * <p>Every query row's result depends only on its own block's fixed key order, so any thread count gives
 * identical bits.
 */
public final class Attention {
    private static final VectorSpecies<Float> S = TileKernel.S;
    private static final int L = TileKernel.L;
    private static final int ROWS = TileKernel.ROWS;
    /** Queries per task: one tile width. */
    private static final int BQ = TileKernel.COLS;
    /** Keys per online-softmax step: the K and V blocks (16 KB each at D = 64) stay in L1/L2 for the query block. */
    private static final int BK = 64;

    private Attention() {
    }

    /**
     * @param bias optional additive bias {@code [H, Lq, Lk]} (T5's relative position bias), or null
     */
    public static Tensor attend(Tensor q, Tensor k, Tensor v, int heads, float scale, Tensor bias) {
        int b = q.dim(0), lq = q.dim(1), width = q.dim(2);
        int lk = k.dim(1);
        if (q.rank() != 3 || k.rank() != 3 || v.rank() != 3 || width % heads != 0 || k.dim(2) != width || v.dim(2) != width
                || k.dim(0) != b || v.dim(0) != b || v.dim(1) != lk || lk == 0) {
            throw new IllegalArgumentException("attention: q " + q + ", k " + k + ", v " + v + " with " + heads + " heads do not agree");
        }
        if (bias != null) {
            bias.requireShape("attention bias", heads, lq, lk);
        }
        Tensor out = Tensor.zeros(b, lq, width);
        Flash f = new Flash(q.data(), k.data(), v.data(), bias == null ? null : bias.data(), out.data(),
                lq, lk, width, width / heads, scale * VectorMath.LOG2E);
        int qBlocks = (lq + BQ - 1) / BQ;
        // Consecutive tasks share a head, so both threads stream the same K and V through the shared cache.
        Parallel.forRange(b * heads * qBlocks, 1, (t0, t1) -> {
            Scratch s = new Scratch(f.d);
            for (int t = t0; t < t1; t++) {
                int bh = t / qBlocks;
                f.block(s, bh / heads, bh % heads, (t % qBlocks) * BQ);
            }
        });
        return out;
    }

    /** Per-thread working memory of one query block. */
    private static final class Scratch {
        final float[] qt;        // [D][BQ] scaled, transposed queries
        final float[] st;        // [BK][BQ] scores, then probabilities, transposed
        final float[] ot;        // [DP][BQ] unnormalised output, transposed (D rounded up to whole tiles)
        final float[] zero = new float[BQ];
        final float[] max = new float[BQ];
        final float[] sum = new float[BQ];
        final float[] alpha = new float[BQ];
        final float[] edgeK;     // [ROWS][D] the last keys of a sequence when fewer than ROWS remain
        final float[] edgeV;     // [BK][DP] a value block padded to whole tiles when D is not a multiple of ROWS

        Scratch(int d) {
            int dp = (d + ROWS - 1) / ROWS * ROWS;
            qt = new float[d * BQ];
            st = new float[BK * BQ];
            ot = new float[dp * BQ];
            edgeK = new float[ROWS * d];
            edgeV = d == dp ? null : new float[BK * dp];
        }
    }

    private record Flash(float[] q, float[] k, float[] v, float[] bias, float[] out, int lq, int lk, int width, int d, float qScale) {

        /** Queries {@code [i0, i0 + BQ)} of head h in batch bb. */
        void block(Scratch s, int bb, int h, int i0) {
            int nq = Math.min(BQ, lq - i0);
            int dp = s.ot.length / BQ;
            // 1. Q^T of the block, scaled by scale · log2 e; padding lanes stay zero and are never stored.
            Arrays.fill(s.qt, 0f);
            for (int i = 0; i < nq; i++) {
                int qi = (bb * lq + i0 + i) * width + h * d;
                for (int e = 0; e < d; e++) {
                    s.qt[e * BQ + i] = q[qi + e] * qScale;
                }
            }
            Arrays.fill(s.ot, 0f);
            Arrays.fill(s.max, Float.NEGATIVE_INFINITY);
            Arrays.fill(s.sum, 0f);
            for (int j0 = 0; j0 < lk; j0 += BK) {
                int nk = Math.min(BK, lk - j0);
                int kv = (bb * lk + j0) * width + h * d;
                // 2. S^T = K_blk · Q^T, 8 keys per tile; a last partial tile reads a padded copy.
                for (int jt = 0; jt < nk; jt += ROWS) {
                    if (nk - jt >= ROWS) {
                        TileKernel.tile(k, kv + jt * width, width, 1, d, s.qt, 0, s.zero, 0, 0, null, s.st, jt * BQ, BQ);
                    } else {
                        for (int r = 0; r < nk - jt; r++) {
                            System.arraycopy(k, kv + (jt + r) * width, s.edgeK, r * d, d);
                        }
                        TileKernel.tile(s.edgeK, 0, d, 1, d, s.qt, 0, s.zero, 0, 0, null, s.st, jt * BQ, BQ);
                    }
                }
                if (bias != null) {
                    for (int j = 0; j < nk; j++) {
                        for (int i = 0; i < nq; i++) {
                            s.st[j * BQ + i] += VectorMath.LOG2E * bias[(h * lq + i0 + i) * lk + j0 + j];
                        }
                    }
                }
                // 3. Online softmax, lanewise per query: new max, P = 2^(S - max), rescale factor of the old terms.
                for (int c = 0; c < BQ; c += L) {
                    FloatVector mOld = FloatVector.fromArray(S, s.max, c);
                    FloatVector m = mOld;
                    for (int j = 0; j < nk; j++) {
                        m = m.max(FloatVector.fromArray(S, s.st, j * BQ + c));
                    }
                    FloatVector sum = FloatVector.zero(S);
                    for (int j = 0; j < nk; j++) {
                        FloatVector p = VectorMath.exp2(FloatVector.fromArray(S, s.st, j * BQ + c).sub(m));
                        p.intoArray(s.st, j * BQ + c);
                        sum = sum.add(p);
                    }
                    FloatVector a = VectorMath.exp2(mOld.sub(m));
                    a.intoArray(s.alpha, c);
                    FloatVector.fromArray(S, s.sum, c).fma(a, sum).intoArray(s.sum, c);
                    m.intoArray(s.max, c);
                }
                // 4. O^T = alpha ⊙ O^T + V_blk^T · P^T, 8 head dimensions per tile (V read through its strides).
                float[] va = v;
                int vo = kv, vld = width;
                if (s.edgeV != null) {
                    for (int j = 0; j < nk; j++) {
                        System.arraycopy(v, kv + j * width, s.edgeV, j * dp, d);
                    }
                    va = s.edgeV;
                    vo = 0;
                    vld = dp;
                }
                for (int dt = 0; dt < dp; dt += ROWS) {
                    TileKernel.tile(va, vo + dt, 1, vld, nk, s.st, 0, s.ot, dt * BQ, BQ, s.alpha, s.ot, dt * BQ, BQ);
                }
            }
            // 5. Normalise by the softmax sums and store the block back in [B, Lq, H*D] order.
            for (int i = 0; i < nq; i++) {
                float inv = 1f / s.sum[i];
                int oi = (bb * lq + i0 + i) * width + h * d;
                for (int e = 0; e < d; e++) {
                    out[oi + e] = s.ot[e * BQ + i] * inv;
                }
            }
        }
    }
}
