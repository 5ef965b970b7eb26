package dev.cogvideox.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked micro-kernel of {@link Conv3d}'s direct path: {@link #MR} output channels times {@link #NR}
 * consecutive output positions, summed over the whole reduction (every input plane, every spatial tap) in registers.
 *
 * <p>Inputs are packed planes (one per input channel and time tap) of {@code kh} rows of {@code NR + kw - 1} floats:
 * output position {@code j} of the tile reads {@code plane[dh*(NR + kw - 1) + dw + j]} at tap {@code (dh, dw)}, so
 * the {@code NR} positions of one tap are {@code NR / L} plain vector loads, shifted by the tap's offset. The weights come packed per tap as {@code MR} consecutive floats, broadcast one by one.
 * Twenty-four accumulators (8 channels x 3 vectors) plus 3 loads and 1 broadcast stay under the 32 vector registers
 * of AVX-512; each loaded vector feeds 8 FMAs and each broadcast 3, so 11 loads serve 24 FMAs and the loads never
 * limit the FMA rate (4 x 4 reached about 88% of the FMA peak in L2, 8 x 3 about ...).
 */
final class Conv3dKernel {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Output channels per micro-tile. */
    static final int MR = 8;
    /** Output positions per micro-tile: three vectors. */
    static final int NR = 3 * S.length();

    private Conv3dKernel() {
    }

    /**
     * {@code c[cOff + i*NR + j] (+)= sum_{p, tap} w[wOff + (p*taps + tap)*MR + i] * slab[base + p*planeStride + tapOff[tap] + j]}
     * for {@code i < MR, j < NR}, the sum taken in that (plane, tap) order, starting from zero or, when
     * {@code resume}, from {@code c} (a reduction split into chunks gives the same sums as one call).
     */
    static void tile(float[] slab, int base, int planes, int planeStride, int[] tapOff, float[] w, int wOff, float[] c, int cOff, boolean resume) {
        int l = S.length();
        FloatVector c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32, c40, c41, c42, c50, c51, c52, c60, c61, c62, c70, c71, c72;
        if (resume) {
            c00 = FloatVector.fromArray(S, c, cOff);
            c01 = FloatVector.fromArray(S, c, cOff + l);
            c02 = FloatVector.fromArray(S, c, cOff + 2 * l);
            c10 = FloatVector.fromArray(S, c, cOff + NR);
            c11 = FloatVector.fromArray(S, c, cOff + NR + l);
            c12 = FloatVector.fromArray(S, c, cOff + NR + 2 * l);
            c20 = FloatVector.fromArray(S, c, cOff + 2 * NR);
            c21 = FloatVector.fromArray(S, c, cOff + 2 * NR + l);
            c22 = FloatVector.fromArray(S, c, cOff + 2 * NR + 2 * l);
            c30 = FloatVector.fromArray(S, c, cOff + 3 * NR);
            c31 = FloatVector.fromArray(S, c, cOff + 3 * NR + l);
            c32 = FloatVector.fromArray(S, c, cOff + 3 * NR + 2 * l);
            c40 = FloatVector.fromArray(S, c, cOff + 4 * NR);
            c41 = FloatVector.fromArray(S, c, cOff + 4 * NR + l);
            c42 = FloatVector.fromArray(S, c, cOff + 4 * NR + 2 * l);
            c50 = FloatVector.fromArray(S, c, cOff + 5 * NR);
            c51 = FloatVector.fromArray(S, c, cOff + 5 * NR + l);
            c52 = FloatVector.fromArray(S, c, cOff + 5 * NR + 2 * l);
            c60 = FloatVector.fromArray(S, c, cOff + 6 * NR);
            c61 = FloatVector.fromArray(S, c, cOff + 6 * NR + l);
            c62 = FloatVector.fromArray(S, c, cOff + 6 * NR + 2 * l);
            c70 = FloatVector.fromArray(S, c, cOff + 7 * NR);
            c71 = FloatVector.fromArray(S, c, cOff + 7 * NR + l);
            c72 = FloatVector.fromArray(S, c, cOff + 7 * NR + 2 * l);
        } else {
            c00 = FloatVector.zero(S);
            c01 = c00; c02 = c00;
            c10 = c00; c11 = c00; c12 = c00;
            c20 = c00; c21 = c00; c22 = c00;
            c30 = c00; c31 = c00; c32 = c00;
            c40 = c00; c41 = c00; c42 = c00;
            c50 = c00; c51 = c00; c52 = c00;
            c60 = c00; c61 = c00; c62 = c00;
            c70 = c00; c71 = c00; c72 = c00;
        }
        int taps = tapOff.length;
        int wi = wOff;
        for (int p = 0; p < planes; p++) {
            int pb = base + p * planeStride;
            for (int tap = 0; tap < taps; tap++) {
                int o = pb + tapOff[tap];
                FloatVector a0 = FloatVector.fromArray(S, slab, o);
                FloatVector a1 = FloatVector.fromArray(S, slab, o + l);
                FloatVector a2 = FloatVector.fromArray(S, slab, o + 2 * l);
                FloatVector b = FloatVector.broadcast(S, w[wi]);
                c00 = a0.fma(b, c00);
                c01 = a1.fma(b, c01);
                c02 = a2.fma(b, c02);
                b = FloatVector.broadcast(S, w[wi + 1]);
                c10 = a0.fma(b, c10);
                c11 = a1.fma(b, c11);
                c12 = a2.fma(b, c12);
                b = FloatVector.broadcast(S, w[wi + 2]);
                c20 = a0.fma(b, c20);
                c21 = a1.fma(b, c21);
                c22 = a2.fma(b, c22);
                b = FloatVector.broadcast(S, w[wi + 3]);
                c30 = a0.fma(b, c30);
                c31 = a1.fma(b, c31);
                c32 = a2.fma(b, c32);
                b = FloatVector.broadcast(S, w[wi + 4]);
                c40 = a0.fma(b, c40);
                c41 = a1.fma(b, c41);
                c42 = a2.fma(b, c42);
                b = FloatVector.broadcast(S, w[wi + 5]);
                c50 = a0.fma(b, c50);
                c51 = a1.fma(b, c51);
                c52 = a2.fma(b, c52);
                b = FloatVector.broadcast(S, w[wi + 6]);
                c60 = a0.fma(b, c60);
                c61 = a1.fma(b, c61);
                c62 = a2.fma(b, c62);
                b = FloatVector.broadcast(S, w[wi + 7]);
                c70 = a0.fma(b, c70);
                c71 = a1.fma(b, c71);
                c72 = a2.fma(b, c72);
                wi += MR;
            }
        }
        c00.intoArray(c, cOff);
        c01.intoArray(c, cOff + l);
        c02.intoArray(c, cOff + 2 * l);
        c10.intoArray(c, cOff + NR);
        c11.intoArray(c, cOff + NR + l);
        c12.intoArray(c, cOff + NR + 2 * l);
        c20.intoArray(c, cOff + 2 * NR);
        c21.intoArray(c, cOff + 2 * NR + l);
        c22.intoArray(c, cOff + 2 * NR + 2 * l);
        c30.intoArray(c, cOff + 3 * NR);
        c31.intoArray(c, cOff + 3 * NR + l);
        c32.intoArray(c, cOff + 3 * NR + 2 * l);
        c40.intoArray(c, cOff + 4 * NR);
        c41.intoArray(c, cOff + 4 * NR + l);
        c42.intoArray(c, cOff + 4 * NR + 2 * l);
        c50.intoArray(c, cOff + 5 * NR);
        c51.intoArray(c, cOff + 5 * NR + l);
        c52.intoArray(c, cOff + 5 * NR + 2 * l);
        c60.intoArray(c, cOff + 6 * NR);
        c61.intoArray(c, cOff + 6 * NR + l);
        c62.intoArray(c, cOff + 6 * NR + 2 * l);
        c70.intoArray(c, cOff + 7 * NR);
        c71.intoArray(c, cOff + 7 * NR + l);
        c72.intoArray(c, cOff + 7 * NR + 2 * l);
    }

    /** The scalar twin of {@link #tile}: the same sums in the same order, one lane at a time (fma per step). */
    static void tileScalar(float[] slab, int base, int planes, int planeStride, int[] tapOff, float[] w, int wOff, float[] c, int cOff, boolean resume) {
        if (!resume) {
            java.util.Arrays.fill(c, cOff, cOff + MR * NR, 0f);
        }
        int wi = wOff;
        for (int p = 0; p < planes; p++) {
            int pb = base + p * planeStride;
            for (int off : tapOff) {
                int o = pb + off;
                for (int i = 0; i < MR; i++) {
                    float wv = w[wi + i];
                    for (int j = 0; j < NR; j++) {
                        c[cOff + i * NR + j] = Math.fma(slab[o + j], wv, c[cOff + i * NR + j]);
                    }
                }
                wi += MR;
            }
        }
    }
}
