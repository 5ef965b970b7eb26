package dev.cogvideox.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix products in the PyTorch {@code nn.Linear} convention: {@code y[M,N] = x[M,K] · W[N,K]^T + b[N]},
 * where W keeps its stored dtype and is widened to fp32 one column panel at a time.
 *
 * <p>GotoBLAS blocking around {@link TileKernel}: for each panel of {@code NC} output columns, W's rows are
 * widened once into a k-major packed panel ({@code K x NC} floats, shared by all threads; never the whole
 * weight), then blocks of {@code MC} rows of x run in parallel. Inside a block, {@code KC} steps of k at a time:
 * the 6 rows of x being used ({@code 6 x KC}) stay in L1 while the {@code KC x NC} slab of the panel and
 * the {@code MC x NC} block of y stay in L2. Each 6-row sliver of x is copied into the tile's k-major layout
 * ({@code KC x 6}, 12 KB) once per KC steps and reused by every column tile of the panel; x is never copied whole.
 *
 * <p>Each output is one FMA chain over k in order, starting from the bias (or from y when accumulating), so the
 * result is bitwise the same for any thread count and any blocking.
 */
public final class MatMul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int ROWS = TileKernel.ROWS;
    private static final int COLS = TileKernel.COLS;
    // Block sizes, tuned on Zen 4 (32 KB L1d, 1 MB L2 per core); see docs/performance.md.
    /** Steps of k per pass over a block: the packed 6-row sliver of x (6 x KC floats, 12 KB) stays in L1. */
    private static final int KC = 512;
    /** Output columns per packed panel: the KC x NC slab (512 KB) and the MC x NC block of y (120 KB) share L2. */
    private static final int NC = 4 * COLS;
    /** Rows of x per parallel task, whole tiles. */
    private static final int MC = 20 * ROWS;
    /** Steps of k widened at a time while packing, so the transposing copy stays in L1. */
    private static final int PACK_K = 64;

    private MatMul() {
    }

    /** {@code x[..., K] -> y[..., N]} with {@code W[N, K]} and an optional bias {@code [N]}. */
    public static Tensor linear(Tensor x, Weight w, Weight bias) {
        int k = x.dim(-1);
        if (w.rank() != 2 || w.dim(1) != k) {
            throw new IllegalArgumentException("linear " + w.name() + ": input " + x + " has last dimension " + k
                    + " but weight has shape " + Shapes.str(w.shape()));
        }
        int n = w.dim(0);
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != n)) {
            throw new IllegalArgumentException("linear " + bias.name() + ": bias shape " + Shapes.str(bias.shape()) + " does not match " + n + " outputs");
        }
        int m = x.numel() / k;
        int[] outShape = x.shape();
        outShape[outShape.length - 1] = n;
        Tensor y = Tensor.zeros(outShape);
        float[] b = bias == null ? null : bias.toTensor().data();
        gemm(x.data(), 0, m, k, w, b, y.data(), 0);
        return y;
    }

    /**
     * {@code c[cOff + i*N + j] = sum_k a[aOff + i*K + k] * W[j, k] + bias[j]} for i < m, j < N (rows packed
     * densely, leading dimensions K and N). {@code bias} may be null.
     */
    public static void gemm(float[] a, int aOff, int m, int k, Weight w, float[] bias, float[] c, int cOff) {
        run(a, aOff, m, k, w, bias, c, cOff, false);
    }

    /** As {@link #gemm} but adds to c: {@code c[i, j] += sum_k a[i, k] * W[j, k] + bias[j]} (a fused residual). */
    public static void gemmAccumulate(float[] a, int aOff, int m, int k, Weight w, float[] bias, float[] c, int cOff) {
        run(a, aOff, m, k, w, bias, c, cOff, true);
    }

    private static void run(float[] a, int aOff, int m, int k, Weight w, float[] bias, float[] c, int cOff, boolean accumulate) {
        if (w.rank() != 2 || w.dim(1) != k) {
            throw new IllegalArgumentException("gemm " + w.name() + ": K = " + k + " but weight has shape " + Shapes.str(w.shape()));
        }
        int n = w.dim(0);
        if (bias != null && bias.length < n) {
            throw new IllegalArgumentException("gemm " + w.name() + ": bias has " + bias.length + " elements for " + n + " outputs");
        }
        if (m <= 0 || n <= 0) {
            return;
        }
        if (k == 0) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float b = bias == null ? 0f : bias[j];
                    c[cOff + i * n + j] = accumulate ? c[cOff + i * n + j] + b : b;
                }
            }
            return;
        }
        // The bias padded to whole tiles: the first pass starts every accumulator from it (leading dimension 0).
        float[] biasRow = new float[roundUp(n, COLS)];
        if (bias != null) {
            System.arraycopy(bias, 0, biasRow, 0, n);
        }
        int nc = Math.min(NC, roundUp(n, COLS));
        float[] panel = new float[k * nc];
        Gemm g = new Gemm(a, aOff, m, k, w, biasRow, c, cOff, n, accumulate, bias != null, panel);
        for (int j0 = 0; j0 < n; j0 += nc) {
            g.panel(j0, Math.min(nc, n - j0));
        }
    }

    private static int roundUp(int v, int step) {
        return (v + step - 1) / step * step;
    }

    /** One product's operands and its packed panel; {@link #panel} does the work for one NC column panel. */
    private record Gemm(float[] a, int aOff, int m, int k, Weight w, float[] biasRow, float[] c, int cOff, int n,
                        boolean accumulate, boolean hasBias, float[] packed) {

        void panel(int j0, int nb) {
            int panels = (nb + COLS - 1) / COLS;
            int packGrain = Math.max(1, (1 << 16) / (k * COLS));
            Parallel.forRange(panels, packGrain, (p0, p1) -> pack(j0, nb, p0, p1));
            int mBlocks = (m + MC - 1) / MC;
            // Few row blocks (short inputs): split the panel's column tiles across tasks too so both cores work.
            int splits = mBlocks >= 2 * Parallel.threads() ? 1 : panels;
            TaskQueue.forEach(mBlocks * splits, () -> {
                float[] sliver = new float[ROWS * KC];
                float[] edgeC = new float[ROWS * COLS];
                return t -> {
                    int i0 = (t / splits) * MC;
                    int s = t % splits;
                    block(j0, nb, i0, Math.min(m, i0 + MC), s * panels / splits, (s + 1) * panels / splits, sliver, edgeC);
                };
            });
        }

        /** Widens W rows {@code j0 + p*COLS ...} into packed micro-panels {@code [p][k][COLS]}, zero past nb. */
        private void pack(int j0, int nb, int p0, int p1) {
            float[] rows = new float[COLS * PACK_K];
            for (int p = p0; p < p1; p++) {
                int cols = Math.min(COLS, nb - p * COLS);
                int base = p * k * COLS;
                for (int k0 = 0; k0 < k; k0 += PACK_K) {
                    int kb = Math.min(PACK_K, k - k0);
                    for (int r = 0; r < cols; r++) {
                        w.widen((long) (j0 + p * COLS + r) * k + k0, rows, r * PACK_K, kb);
                    }
                    for (int kk = 0; kk < kb; kk++) {
                        int dst = base + (k0 + kk) * COLS;
                        for (int r = 0; r < COLS; r++) {
                            packed[dst + r] = r < cols ? rows[r * PACK_K + kk] : 0f;
                        }
                    }
                }
            }
        }

        /** Rows {@code [i0, i1)} times column tiles {@code [p0, p1)} of the panel at {@code j0}. */
        private void block(int j0, int nb, int i0, int i1, int p0, int p1, float[] sliver, float[] edgeC) {
            if (accumulate && hasBias) {
                // Accumulating: the chains start from y, so the bias goes in first.
                int from = j0 + p0 * COLS, to = Math.min(j0 + nb, j0 + p1 * COLS);
                for (int i = i0; i < i1; i++) {
                    for (int j = from; j < to; j++) {
                        c[cOff + i * n + j] += biasRow[j];
                    }
                }
            }
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean first = pc == 0 && !accumulate;
                for (int i = i0; i < i1; i += ROWS) {
                    int rows = Math.min(ROWS, i1 - i);
                    packSliver(i, rows, pc, kc, sliver);
                    for (int p = p0; p < p1; p++) {
                        int col = j0 + p * COLS;
                        int cols = Math.min(COLS, j0 + nb - col);
                        int bOff = p * k * COLS + pc * COLS;
                        int ci = cOff + i * n + col;
                        if (rows == ROWS && cols == COLS) {
                            TileKernel.tile(sliver, 0, kc, packed, bOff,
                                    first ? biasRow : c, first ? col : ci, first ? 0 : n, null, c, ci, n);
                        } else {
                            // Edge tile: run the full tile on a scratch copy, keep the valid part.
                            if (!first) {
                                for (int r = 0; r < rows; r++) {
                                    System.arraycopy(c, ci + r * n, edgeC, r * COLS, cols);
                                }
                            }
                            TileKernel.tile(sliver, 0, kc, packed, bOff,
                                    first ? biasRow : edgeC, first ? col : 0, first ? 0 : COLS, null, edgeC, 0, COLS);
                            for (int r = 0; r < rows; r++) {
                                System.arraycopy(edgeC, r * COLS, c, ci + r * n, cols);
                            }
                        }
                    }
                }
            }
        }

        /**
         * Rows {@code [i, i + rows)} of x, steps {@code [pc, pc + kc)} of k, into the tile's k-major A layout
         * {@code [kc][ROWS]}; rows past the input are zero (their outputs are dropped).
         */
        private void packSliver(int i, int rows, int pc, int kc, float[] sliver) {
            for (int r = 0; r < ROWS; r++) {
                if (r < rows) {
                    int src = aOff + (i + r) * k + pc;
                    for (int kk = 0; kk < kc; kk++) {
                        sliver[TileKernel.packedIndex(r, kk, kc)] = a[src + kk];
                    }
                } else {
                    for (int kk = 0; kk < kc; kk++) {
                        sliver[TileKernel.packedIndex(r, kk, kc)] = 0f;
                    }
                }
            }
        }
    }

    /** Dot product of {@code a[ai..ai+k)} and {@code b[bi..bi+k)}. */
    public static float dot(float[] a, int ai, float[] b, int bi, int k) {
        FloatVector s = FloatVector.zero(S);
        int kk = 0;
        int bound = S.loopBound(k);
        for (; kk < bound; kk += S.length()) {
            s = FloatVector.fromArray(S, a, ai + kk).fma(FloatVector.fromArray(S, b, bi + kk), s);
        }
        // Lanes summed in a fixed order: reduceLanes(ADD) orders them differently in the interpreter and in C2
        // code, so results would change once the method is compiled.
        float[] lanes = new float[S.length()];
        s.intoArray(lanes, 0);
        float r = 0f;
        for (float lane : lanes) {
            r += lane;
        }
        for (; kk < k; kk++) {
            r += a[ai + kk] * b[bi + kk];
        }
        return r;
    }
}
