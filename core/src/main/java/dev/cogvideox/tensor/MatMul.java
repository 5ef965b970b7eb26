package dev.cogvideox.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Matrix products in the PyTorch {@code nn.Linear} convention: {@code y[M,N] = x[M,K] · W[N,K]^T + b[N]},
 * where W keeps its stored dtype and is widened to fp32 one column panel at a time.
 *
 * <p>GotoBLAS blocking around {@link TileKernel}: for each panel of at most {@code NC} output columns and each
 * {@code KC} steps of k, W's slab ({@code KC x NC}) is widened once into k-major column tiles shared by all threads
 * (never the whole weight); then blocks of {@code MC} rows of x run in parallel. A block copies its rows of x into
 * the tile's k-major layout ({@code MC x KC}, which stays in L2) and runs every column tile against every 6-row
 * sliver of it, so each column tile of W ({@code KC x 64}) is reused by all the block's slivers from L1/L2. With a
 * panel as wide as the output (up to {@code NC}), x is copied once per KC step instead of once per narrow panel:
 * copying an element costs about as much as 50 columns of its FMAs, a fifth of the time with the 256-column panels
 * used before on a core with two 512-bit FMA pipes (docs/performance.md).
 *
 * <p>Each output is one FMA chain over k in order, starting from the bias (or from y when accumulating), so the
 * result is bitwise the same for any thread count and any blocking.
 */
public final class MatMul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int ROWS = TileKernel.ROWS;
    private static final int COLS = TileKernel.COLS;
    // Block sizes for 1 MB of L2 per core (Zen 4 and Zen 5); see docs/performance.md.
    /**
     * Most steps of k per pass, split evenly (1920 = 2 x 960, 4096 = 5 x 820): a column tile of the slab (KC x 64
     * floats, 240 KB) and the packed x block (MC x KC, 450 KB) share the L2. Each pass reads and writes all of y once
     * more, so fewer, longer passes pay: 960 ran 3.5-7.5% faster than 384 on every product shape of the 2b, the 5b and
     * T5 (Zen 4, alternated in one JVM, 2026-12-05).
     */
    private static final int KC = 960;
    /** Most output columns per panel: the shared KC x NC slab (up to 7.5 MB) is read from L3. */
    private static final int NC = 32 * COLS;
    /** Rows of x per parallel task, whole tiles: the packed MC x KC block stays in L2. */
    private static final int MC = 20 * ROWS;
    /** Per thread: the packed x block ({@code MC x KC}) and an edge tile, kept between passes and products. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {new float[MC * KC], new float[ROWS * COLS]});

    private MatMul() {
    }

    /** {@code x[..., K] -> y[..., N]} with {@code W[N, K]} and an optional bias {@code [N]}: {@link Kernels#linear} on these kernels. */
    static Tensor linear(Tensor x, Weight w, Weight bias) {
        return Kernels.JAVA.linear(x, w, bias);
    }

    /**
     * {@code c[cOff + i*N + j] = sum_k a[aOff + i*K + k] * W[j, k] + bias[j]} for i < m, j < N (rows packed
     * densely, leading dimensions K and N). {@code bias} may be null.
     */
    static void gemm(float[] a, int aOff, int m, int k, Weight w, float[] bias, float[] c, int cOff) {
        run(a, aOff, m, k, w, bias, c, cOff, false);
    }

    /** As {@link #gemm} but adds to c: {@code c[i, j] += sum_k a[i, k] * W[j, k] + bias[j]} (a fused residual). */
    static void gemmAccumulate(float[] a, int aOff, int m, int k, Weight w, float[] bias, float[] c, int cOff) {
        run(a, aOff, m, k, w, bias, c, cOff, true);
    }

    /**
     * {@code c[m, n] = A[m, k] · B[k, n]} on fp32 row-major operands stored either way: A as {@code [m, k]}, or
     * ({@code aTransposed}) as its transpose {@code [k, m]}; B as {@code [k, n]}, or ({@code bTransposed}) as
     * {@code [n, k]}, the layout of an {@code nn.Linear} weight. The backward products of a linear layer are
     * {@code dx = dy · W} (B stored {@code [k, n]}) and {@code dW = dy^T · x} (A stored {@code [k, m]}): the packing
     * reads either storage directly, so no transposed copy is made, and each output is the same FMA chain over k as
     * {@link #gemm} on transposed copies (bitwise the same result).
     */
    static void product(float[] a, boolean aTransposed, float[] b, boolean bTransposed, int m, int n, int k, float[] c) {
        if ((long) m * k > a.length || (long) k * n > b.length || (long) m * n > c.length) {
            throw new IllegalArgumentException("product: A " + m + "x" + k + " (" + a.length + " floats), B " + k + "x" + n + " ("
                    + b.length + " floats), C " + m + "x" + n + " (" + c.length + " floats)");
        }
        if (bTransposed) {
            run(a, 0, aTransposed, m, k, Weight.of("B", Tensor.of(b.length == n * k ? b : Arrays.copyOf(b, n * k), n, k)), null, n, null, c, 0, false);
        } else {
            run(a, 0, aTransposed, m, k, null, b, n, null, c, 0, false);
        }
    }

    private static void run(float[] a, int aOff, int m, int k, Weight w, float[] bias, float[] c, int cOff, boolean accumulate) {
        if (w.rank() != 2 || w.dim(1) != k) {
            throw new IllegalArgumentException("gemm " + w.name() + ": K = " + k + " but weight has shape " + Shapes.str(w.shape()));
        }
        run(a, aOff, false, m, k, w, null, w.dim(0), bias, c, cOff, accumulate);
    }

    /** The product with A stored {@code [m, k]} or ({@code aT}) {@code [k, m]}, and B either the weight w or {@code bKn [k, n]}. */
    private static void run(float[] a, int aOff, boolean aT, int m, int k, Weight w, float[] bKn, int n, float[] bias, float[] c, int cOff,
                            boolean accumulate) {
        String name = w != null ? w.name() : "B";
        if (bias != null && bias.length < n) {
            throw new IllegalArgumentException("gemm " + name + ": bias has " + bias.length + " elements for " + n + " outputs");
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
        // Panels of equal width (in whole tiles), each at most NC columns.
        int tiles = roundUp(n, COLS) / COLS;
        int panelCount = (tiles * COLS + NC - 1) / NC;
        int nc = (tiles + panelCount - 1) / panelCount * COLS;
        int passes = (k + KC - 1) / KC;
        int kStep = (k + passes - 1) / passes;
        Gemm g = new Gemm(a, aOff, aT, m, k, w, bKn, biasRow, c, cOff, n, accumulate, bias != null, new float[kStep * nc]);
        for (int j0 = 0; j0 < n; j0 += nc) {
            for (int pc = 0; pc < k; pc += kStep) {
                g.pass(j0, Math.min(nc, n - j0), pc, Math.min(kStep, k - pc));
            }
        }
    }

    private static int roundUp(int v, int step) {
        return (v + step - 1) / step * step;
    }

    /** One product's operands and its packed slab; {@link #pass} does the work for one panel and one KC step. */
    private record Gemm(float[] a, int aOff, boolean aT, int m, int k, Weight w, float[] bKn, float[] biasRow, float[] c, int cOff, int n,
                        boolean accumulate, boolean hasBias, float[] slab) {

        /** Columns {@code [j0, j0 + nb)}, steps {@code [pc, pc + kc)} of k, for every row. */
        void pass(int j0, int nb, int pc, int kc) {
            int tiles = (nb + COLS - 1) / COLS;
            Parallel.forRange(tiles, 1, (p0, p1) -> packSlab(j0, nb, pc, kc, p0, p1));
            int mBlocks = (m + MC - 1) / MC;
            // Few row blocks (short inputs): split the panel's column tiles across tasks too so both cores work.
            int splits = mBlocks >= 2 * Parallel.threads() ? 1 : tiles;
            boolean first = pc == 0 && !accumulate;
            boolean addBias = pc == 0 && accumulate && hasBias;
            TaskQueue.forEach(mBlocks * splits, () -> {
                float[][] scratch = SCRATCH.get();
                float[] block = scratch[0], edgeC = scratch[1];
                return t -> {
                    int i0 = (t / splits) * MC;
                    int s = t % splits;
                    block(j0, nb, pc, kc, first, addBias, i0, Math.min(m, i0 + MC), s * tiles / splits, (s + 1) * tiles / splits, block, edgeC);
                };
            });
        }

        /** Widens W's rows {@code j0 + p*COLS ...}, steps {@code [pc, pc + kc)}, into tiles {@code [p][kc][COLS]}, zero past nb. */
        private void packSlab(int j0, int nb, int pc, int kc, int p0, int p1) {
            if (bKn != null) {
                // B stored k-major: each step of a tile is a contiguous run of its row.
                for (int p = p0; p < p1; p++) {
                    int cols = Math.min(COLS, nb - p * COLS);
                    int base = p * kc * COLS;
                    for (int kk = 0; kk < kc; kk++) {
                        int d = base + kk * COLS;
                        System.arraycopy(bKn, (pc + kk) * n + j0 + p * COLS, slab, d, cols);
                        if (cols < COLS) {
                            Arrays.fill(slab, d + cols, d + COLS, 0f);
                        }
                    }
                }
                return;
            }
            float[] row = new float[kc];
            for (int p = p0; p < p1; p++) {
                int cols = Math.min(COLS, nb - p * COLS);
                int base = p * kc * COLS;
                for (int r = 0; r < COLS; r++) {
                    if (r < cols) {
                        w.widen((long) (j0 + p * COLS + r) * k + pc, row, 0, kc);
                    } else {
                        Arrays.fill(row, 0f);
                    }
                    for (int kk = 0; kk < kc; kk++) {
                        slab[base + kk * COLS + r] = row[kk];
                    }
                }
            }
        }

        /** Rows {@code [i0, i1)} times column tiles {@code [p0, p1)} of the panel at {@code j0}, one KC step. */
        private void block(int j0, int nb, int pc, int kc, boolean first, boolean addBias, int i0, int i1, int p0, int p1,
                           float[] block, float[] edgeC) {
            if (addBias) {
                // Accumulating: the chains start from y, so the bias goes in first.
                int from = j0 + p0 * COLS, to = Math.min(j0 + nb, j0 + p1 * COLS);
                for (int i = i0; i < i1; i++) {
                    for (int j = from; j < to; j++) {
                        c[cOff + i * n + j] += biasRow[j];
                    }
                }
            }
            for (int i = i0; i < i1; i += ROWS) {
                packSliver(i, Math.min(ROWS, i1 - i), pc, kc, block, (i - i0) * kc);
            }
            for (int p = p0; p < p1; p++) {
                int col = j0 + p * COLS;
                int cols = Math.min(COLS, j0 + nb - col);
                int bOff = p * kc * COLS;
                for (int i = i0; i < i1; i += ROWS) {
                    int rows = Math.min(ROWS, i1 - i);
                    int aOffBlock = (i - i0) * kc;
                    int ci = cOff + i * n + col;
                    if (rows == ROWS && cols == COLS) {
                        TileKernel.tile(block, aOffBlock, kc, slab, bOff,
                                first ? biasRow : c, first ? col : ci, first ? 0 : n, null, c, ci, n);
                    } else {
                        // Edge tile: run the full tile on a scratch copy, keep the valid part.
                        if (!first) {
                            for (int r = 0; r < rows; r++) {
                                System.arraycopy(c, ci + r * n, edgeC, r * COLS, cols);
                            }
                        }
                        TileKernel.tile(block, aOffBlock, kc, slab, bOff,
                                first ? biasRow : edgeC, first ? col : 0, first ? 0 : COLS, null, edgeC, 0, COLS);
                        for (int r = 0; r < rows; r++) {
                            System.arraycopy(edgeC, r * COLS, c, ci + r * n, cols);
                        }
                    }
                }
            }
        }

        /**
         * Rows {@code [i, i + rows)} of x, steps {@code [pc, pc + kc)} of k, into the tile's k-major A layout
         * {@code [kc][ROWS]} at {@code dst}; rows past the input are zero (their outputs are dropped). One pass
         * over k with the six rows side by side, so every store is sequential.
         */
        private void packSliver(int i, int rows, int pc, int kc, float[] dst, int off) {
            if (aT) {
                // A stored k-major: the sliver's rows at one step are side by side.
                for (int kk = 0, d = off, s = aOff + pc * m + i; kk < kc; kk++, d += ROWS, s += m) {
                    for (int r = 0; r < ROWS; r++) {
                        dst[d + r] = r < rows ? a[s + r] : 0f;
                    }
                }
                return;
            }
            int s0 = aOff + i * k + pc;
            if (rows == ROWS) {
                int s1 = s0 + k, s2 = s1 + k, s3 = s2 + k, s4 = s3 + k, s5 = s4 + k;
                for (int kk = 0, d = off; kk < kc; kk++, d += ROWS) {
                    dst[d] = a[s0 + kk];
                    dst[d + 1] = a[s1 + kk];
                    dst[d + 2] = a[s2 + kk];
                    dst[d + 3] = a[s3 + kk];
                    dst[d + 4] = a[s4 + kk];
                    dst[d + 5] = a[s5 + kk];
                }
                return;
            }
            for (int kk = 0, d = off; kk < kc; kk++, d += ROWS) {
                for (int r = 0; r < ROWS; r++) {
                    dst[d + r] = r < rows ? a[s0 + r * k + kk] : 0f;
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
