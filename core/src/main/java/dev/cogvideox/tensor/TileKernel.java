package dev.cogvideox.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-tiled micro-kernel shared by {@link MatMul}, {@link Attention} and {@link Conv3dDirect}: one {@code ROWS x COLS} tile
 * {@code C = init ⊙ colScale + A · B} accumulated over {@code kc} steps, entirely in vector registers.
 *
 * <p>Tile shape 6 x 64 (four 16-lane vectors on AVX-512): 24 accumulators, 4 B vectors and one broadcast A value
 * take 29 of the 32 vector registers (7 x 64 spills). Each k step loads 4 vectors and broadcasts 6 scalars for
 * 24 FMAs; 24 independent chains hide the FMA latency (4 cycles at one 512-bit FMA per cycle on Zen 4). Measured
 * on Zen 4 with operands in L1/L2, 6 x 64 runs about 4% faster than 8 x 48 (more broadcasts per FMA) and
 * 12 x 32; 64 columns divide 1920, 3072 and 7680 and match the head size of the attention.
 *
 * <p>Operand layouts: A packed k-major, element (r, k) at {@code a[aOff + k*ROWS + r]}, and B packed k-major with
 * {@code COLS} floats per k step. With one index per operand the loop body is the 10 loads and 24 FMAs and three
 * integer instructions: on Intel cores, whose integer and vector instructions share issue ports, A read as six
 * rows at a stride (an address computation per broadcast, and spills of the row offsets) ran 15-18% slower
 * (measured on a Xeon with AVX-512: 104 against 122 GFLOP/s, fma_peak 135); Zen 4 issues them on separate ports.
 * C and init rows {@code COLS} floats wide at any leading dimension (init leading dimension 0 repeats one row,
 * e.g. a bias). Each output is a plain left-to-right FMA chain over k that starts from its init value, so any
 * tiling of the rows and columns gives identical bits.
 */
final class TileKernel {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final int ROWS = 6;
    static final int COLS = 4 * L;
    /** A zero init row (pass it with leading dimension 0): sums that start from nothing. Never written. */
    static final float[] ZERO = new float[COLS];

    private TileKernel() {
    }

    /**
     * Where element (r, k) of a matrix with {@code kLen} steps of k goes in the packed A layout: panels of
     * {@code ROWS} rows, each k-major ({@code [rows / ROWS][kLen][ROWS]}); a tile of panel {@code r / ROWS} starting
     * at step k0 reads from {@code packedIndex(r0, k0, kLen)}.
     */
    static int packedIndex(int r, int k, int kLen) {
        return r / ROWS * ROWS * kLen + k * ROWS + r % ROWS;
    }

    /**
     * {@code c[r][v] = init[r][v] * colScale[v] + sum_k A(r, k) * b[k][v]} for the full tile.
     *
     * @param colScale per-column factor applied to init (the online-softmax rescale), or null for none
     */
    static void tile(float[] a, int aOff, int kc, float[] b, int bOff,
                     float[] init, int initOff, int initLd, float[] colScale,
                     float[] c, int cOff, int ldc) {
        tile(a, aOff, kc, b, bOff, COLS, init, initOff, initLd, colScale, c, cOff, ldc);
    }

    /**
     * {@link #tile} with B's k steps {@code bLd} floats apart instead of {@code COLS}: row k of B is
     * {@code b[bOff + k*bLd, ... + COLS)} (the convolution reads shifted windows of longer rows this way).
     */
    static void tile(float[] a, int aOff, int kc, float[] b, int bOff, int bLd,
                     float[] init, int initOff, int initLd, float[] colScale,
                     float[] c, int cOff, int ldc) {
        // Accumulators c<row><vector>: 6 rows x 4 vectors.
        FloatVector c00 = FloatVector.fromArray(S, init, initOff), c01 = FloatVector.fromArray(S, init, initOff + L), c02 = FloatVector.fromArray(S, init, initOff + 2 * L), c03 = FloatVector.fromArray(S, init, initOff + 3 * L);
        FloatVector c10 = FloatVector.fromArray(S, init, initOff + initLd), c11 = FloatVector.fromArray(S, init, initOff + initLd + L), c12 = FloatVector.fromArray(S, init, initOff + initLd + 2 * L), c13 = FloatVector.fromArray(S, init, initOff + initLd + 3 * L);
        FloatVector c20 = FloatVector.fromArray(S, init, initOff + 2 * initLd), c21 = FloatVector.fromArray(S, init, initOff + 2 * initLd + L), c22 = FloatVector.fromArray(S, init, initOff + 2 * initLd + 2 * L), c23 = FloatVector.fromArray(S, init, initOff + 2 * initLd + 3 * L);
        FloatVector c30 = FloatVector.fromArray(S, init, initOff + 3 * initLd), c31 = FloatVector.fromArray(S, init, initOff + 3 * initLd + L), c32 = FloatVector.fromArray(S, init, initOff + 3 * initLd + 2 * L), c33 = FloatVector.fromArray(S, init, initOff + 3 * initLd + 3 * L);
        FloatVector c40 = FloatVector.fromArray(S, init, initOff + 4 * initLd), c41 = FloatVector.fromArray(S, init, initOff + 4 * initLd + L), c42 = FloatVector.fromArray(S, init, initOff + 4 * initLd + 2 * L), c43 = FloatVector.fromArray(S, init, initOff + 4 * initLd + 3 * L);
        FloatVector c50 = FloatVector.fromArray(S, init, initOff + 5 * initLd), c51 = FloatVector.fromArray(S, init, initOff + 5 * initLd + L), c52 = FloatVector.fromArray(S, init, initOff + 5 * initLd + 2 * L), c53 = FloatVector.fromArray(S, init, initOff + 5 * initLd + 3 * L);
        if (colScale != null) {
            FloatVector s0 = FloatVector.fromArray(S, colScale, 0), s1 = FloatVector.fromArray(S, colScale, L), s2 = FloatVector.fromArray(S, colScale, 2 * L), s3 = FloatVector.fromArray(S, colScale, 3 * L);
            c00 = c00.mul(s0); c01 = c01.mul(s1); c02 = c02.mul(s2); c03 = c03.mul(s3);
            c10 = c10.mul(s0); c11 = c11.mul(s1); c12 = c12.mul(s2); c13 = c13.mul(s3);
            c20 = c20.mul(s0); c21 = c21.mul(s1); c22 = c22.mul(s2); c23 = c23.mul(s3);
            c30 = c30.mul(s0); c31 = c31.mul(s1); c32 = c32.mul(s2); c33 = c33.mul(s3);
            c40 = c40.mul(s0); c41 = c41.mul(s1); c42 = c42.mul(s2); c43 = c43.mul(s3);
            c50 = c50.mul(s0); c51 = c51.mul(s1); c52 = c52.mul(s2); c53 = c53.mul(s3);
        }
        for (int k = 0; k < kc; k++) {
            int bk = bOff + k * bLd;
            int ak = aOff + k * ROWS;
            FloatVector b0 = FloatVector.fromArray(S, b, bk), b1 = FloatVector.fromArray(S, b, bk + L), b2 = FloatVector.fromArray(S, b, bk + 2 * L), b3 = FloatVector.fromArray(S, b, bk + 3 * L);
            FloatVector av = FloatVector.broadcast(S, a[ak]);
            c00 = av.fma(b0, c00); c01 = av.fma(b1, c01); c02 = av.fma(b2, c02); c03 = av.fma(b3, c03);
            av = FloatVector.broadcast(S, a[ak + 1]);
            c10 = av.fma(b0, c10); c11 = av.fma(b1, c11); c12 = av.fma(b2, c12); c13 = av.fma(b3, c13);
            av = FloatVector.broadcast(S, a[ak + 2]);
            c20 = av.fma(b0, c20); c21 = av.fma(b1, c21); c22 = av.fma(b2, c22); c23 = av.fma(b3, c23);
            av = FloatVector.broadcast(S, a[ak + 3]);
            c30 = av.fma(b0, c30); c31 = av.fma(b1, c31); c32 = av.fma(b2, c32); c33 = av.fma(b3, c33);
            av = FloatVector.broadcast(S, a[ak + 4]);
            c40 = av.fma(b0, c40); c41 = av.fma(b1, c41); c42 = av.fma(b2, c42); c43 = av.fma(b3, c43);
            av = FloatVector.broadcast(S, a[ak + 5]);
            c50 = av.fma(b0, c50); c51 = av.fma(b1, c51); c52 = av.fma(b2, c52); c53 = av.fma(b3, c53);
        }
        c00.intoArray(c, cOff); c01.intoArray(c, cOff + L); c02.intoArray(c, cOff + 2 * L); c03.intoArray(c, cOff + 3 * L);
        c10.intoArray(c, cOff + ldc); c11.intoArray(c, cOff + ldc + L); c12.intoArray(c, cOff + ldc + 2 * L); c13.intoArray(c, cOff + ldc + 3 * L);
        c20.intoArray(c, cOff + 2 * ldc); c21.intoArray(c, cOff + 2 * ldc + L); c22.intoArray(c, cOff + 2 * ldc + 2 * L); c23.intoArray(c, cOff + 2 * ldc + 3 * L);
        c30.intoArray(c, cOff + 3 * ldc); c31.intoArray(c, cOff + 3 * ldc + L); c32.intoArray(c, cOff + 3 * ldc + 2 * L); c33.intoArray(c, cOff + 3 * ldc + 3 * L);
        c40.intoArray(c, cOff + 4 * ldc); c41.intoArray(c, cOff + 4 * ldc + L); c42.intoArray(c, cOff + 4 * ldc + 2 * L); c43.intoArray(c, cOff + 4 * ldc + 3 * L);
        c50.intoArray(c, cOff + 5 * ldc); c51.intoArray(c, cOff + 5 * ldc + L); c52.intoArray(c, cOff + 5 * ldc + 2 * L); c53.intoArray(c, cOff + 5 * ldc + 3 * L);
    }
}
