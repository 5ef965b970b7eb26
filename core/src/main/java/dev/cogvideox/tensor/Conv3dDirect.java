package dev.cogvideox.tensor;

import java.util.Arrays;

/**
 * {@link Conv3d} at stride 1 as a direct implicit GEMM: {@code out[co, q] = sum_k W[co, k] * in(k, q)}, with
 * {@code M = Cout}, {@code N} the output positions, {@code K = Cin*kt*kh*kw}, and no im2col matrix.
 *
 * <p>Positions are taken flat on the zero-padded grid of width {@code Wp = W + left + right}: output
 * {@code q = y*Wp + x} reads padded input {@code q + dh*Wp + dw} at tap {@code (dh, dw)}; the {@code kw - 1} columns
 * per row past the output width are computed and dropped (2 of 92 at 90 wide). A micro-tile is {@link TileKernel#COLS}
 * consecutive positions; a unit of work is a group of up to {@link #GROUP} tiles of one frame. For a chunk of input
 * planes (one per input channel and time tap) the group's input is copied once into rows: per plane and kernel row
 * {@code dh}, the group's positions shifted by {@code dh*Wp} plus {@code kw - 1} more, zeros where the padding is.
 * Tap {@code (dh, dw)} of tile {@code g} is then the window {@code [g*NR + dw, ... + NR)} of a row, and for one
 * {@code dw} the rows of every (plane, dh) follow each other at a fixed stride: {@link TileKernel#tile} reads them as
 * its B operand with that stride (no copy per tap), with the weights packed in the same order (per chunk: {@code dw},
 * then plane, then {@code dh}). Every block of {@link TileKernel#ROWS} output channels sums the chunk for each tile
 * of the group in turn (its weights stay in L1, the rows in L2), resuming from the previous sums, so each output
 * value is one sequential sum over k, in the same order whatever the thread. The epilogue adds the bias (and the old
 * output when accumulating) and writes the tile's valid positions channel-first.
 *
 * <p>Memory: the packed weights ({@code Cout x K} floats, 28 MB at 512 channels, kept by the calling thread for its
 * next call) and, per thread, the group's rows (256 KB) and sums ({@code GROUP x Cout x NR} floats), kept in a
 * thread-local between calls, are the only scratch; {@link #runInPlace} adds one output frame.
 */
final class Conv3dDirect {
    /** Output channels per micro-tile. */
    private static final int MR = TileKernel.ROWS;
    /** Output positions per micro-tile. */
    private static final int NR = TileKernel.COLS;
    /** Floats of a chunk's rows at most: 256 KB, in L2 with the weights' block. */
    private static final int CHUNK_FLOATS = 1 << 16;
    /**
     * Micro-tiles that share each block of weights at most: a chunk's weights for one channel block
     * ({@code MR x chunk x taps}, about 9 KB) are used by up to this many tiles in a row from L1, and each row copied
     * from the input serves them all. Without it every tile streams all the weights (28 MB at 512 channels) from L3 or
     * memory. Smaller groups are used when a call has too few groups to keep every thread busy to the end
     * ({@link #groupSize}); the grouping does not change the order of any sum.
     */
    private static final int GROUP = 8;
    /** Units of work per thread below which the groups are halved (down to 2 tiles). */
    private static final int UNITS_PER_THREAD = 8;
    private static final ThreadLocal<float[][]> SCRATCH =
            ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0]});
    /**
     * The planning thread's packed weights, reused by its next plan (a plan is used before the next one is made): a
     * new 28 MB array per call of a 512-channel convolution spent 5% of a 60x90 frame zeroing fresh memory.
     */
    private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[0]);

    private final Conv3d.Shape s;
    private final int padTop, padLeft, wp;
    private final int tiles, planes, taps, chunk;
    /** Floats per copied row: a largest group's positions and the {@code kw - 1} more its last tap reads. */
    private final int rowLen;
    /** {@code [ceil(Cout/MR)][K][MR]}: each channel block's weights in the kernel's k order, zero rows past Cout. */
    private final float[] panel;
    private final int k;
    private final int coutPad;

    private Conv3dDirect(Conv3d.Shape s, Weight w, Conv3d.Geometry g) {
        this.s = s;
        this.padTop = g.padTop();
        this.padLeft = g.padLeft();
        this.wp = s.w() + g.padLeft() + g.padRight();
        this.tiles = (s.hOut() * wp + NR - 1) / NR;
        this.planes = s.cin() * s.kt();
        this.taps = s.kh() * s.kw();
        this.rowLen = GROUP * NR + s.kw() - 1;
        this.chunk = Math.max(1, Math.min(planes, CHUNK_FLOATS / (s.kh() * rowLen)));
        this.k = planes * taps;
        this.coutPad = (s.cout() + MR - 1) / MR * MR;
        this.panel = packWeights(w);
    }

    static boolean supports(Conv3d.Geometry g) {
        return g.strideT() == 1 && g.strideH() == 1 && g.strideW() == 1;
    }

    static Conv3dDirect plan(Conv3d.Shape s, Weight w, Conv3d.Geometry g) {
        return new Conv3dDirect(s, w, g);
    }

    /** {@code out = conv(front ++ x) (+ out when accumulating)} for the whole {@code [N, Cout, Tout, Hout, Wout]}. */
    void run(float[] x, float[] front, float[] bias, float[] out, boolean accumulate) {
        int size = groupSize(s.n() * s.tOut());
        int groups = (tiles + size - 1) / size;
        TaskQueue.forEach(s.n() * s.tOut() * groups, () -> {
            float[][] scratch = scratch();
            return u -> {
                int group = u % groups, r = u / groups;
                int t = r % s.tOut(), b = r / s.tOut();
                unit(x, front, b, t, group * size, size, scratch, bias, out, s.tOut(), t, accumulate);
            };
        });
    }

    /** Tiles per group for a call over {@code frames} output frames: {@link #GROUP}, halved while too few units. */
    private int groupSize(int frames) {
        int size = GROUP;
        while (size > 2 && frames * ((tiles + size - 1) / size) < UNITS_PER_THREAD * Parallel.threads()) {
            size /= 2;
        }
        return size;
    }

    /** The output written over {@code x}: frames from the last, each computed into one scratch frame, then copied. */
    void runInPlace(float[] x, float[] front, float[] bias) {
        int frame = s.hOut() * s.wOut();
        float[] next = new float[s.n() * s.cout() * frame];
        int size = groupSize(s.n());
        int groups = (tiles + size - 1) / size;
        for (int t = s.tOut() - 1; t >= 0; t--) {
            int ft = t;
            TaskQueue.forEach(s.n() * groups, () -> {
                float[][] scratch = scratch();
                return u -> unit(x, front, u / groups, ft, u % groups * size, size, scratch, bias, next, 1, 0, false);
            });
            Parallel.forRange(s.n() * s.cout(), 8, (from, to) -> {
                for (int nc = from; nc < to; nc++) {
                    System.arraycopy(next, nc * frame, x, (nc * s.t() + ft) * frame, frame);
                }
            });
        }
    }

    /**
     * Micro-tiles {@code [tile0, tile0 + size)} (or to the last) of output frame {@code t} of sample {@code b} into
     * {@code out} seen as {@code [N, Cout, outT, Hout, Wout]} at frame {@code outTi}.
     */
    private void unit(float[] x, float[] front, int b, int t, int tile0, int size, float[][] scratch, float[] bias,
                      float[] out, int outT, int outTi, boolean accumulate) {
        float[] rows = scratch[0];
        float[] c = scratch[1];
        int gn = Math.min(size, tiles - tile0);
        int sumsTile = coutPad * NR;
        for (int p0 = 0; p0 < planes; p0 += chunk) {
            int pn = Math.min(chunk, planes - p0);
            int kc = pn * s.kh();
            // 1. the group's rows of planes [p0, p0 + pn), zero-padded
            copyRows(x, front, b, t, tile0 * NR, gn * NR + s.kw() - 1, p0, pn, rows);
            // 2. every channel block sums the chunk for every tile (its weights stay in cache), one pass per dw over
            //    the (plane, dh) rows, resuming after the previous pass
            for (int cb = 0; cb < coutPad; cb += MR) {
                for (int g = 0; g < gn; g++) {
                    int ci = g * sumsTile + cb * NR;
                    for (int dw = 0; dw < s.kw(); dw++) {
                        boolean resume = p0 > 0 || dw > 0;
                        int wOff = TileKernel.packedIndex(cb, p0 * taps + dw * kc, k);
                        TileKernel.tile(panel, wOff, kc, rows, g * NR + dw, rowLen,
                                resume ? c : TileKernel.ZERO, resume ? ci : 0, resume ? NR : 0, null, c, ci, NR);
                    }
                }
            }
        }
        // 3. epilogue: bias (+ old output), valid columns only, channel-first
        for (int g = 0; g < gn; g++) {
            epilogue(b, (tile0 + g) * NR, c, g * sumsTile, bias, out, outT, outTi, accumulate);
        }
    }

    private void epilogue(int b, int q0, float[] c, int cOff, float[] bias, float[] out, int outT, int outTi, boolean accumulate) {
        int positions = s.hOut() * wp;
        int qEnd = Math.min(q0 + NR, positions);
        int wOut = s.wOut();
        for (int co = 0; co < s.cout(); co++) {
            float bv = bias == null ? 0f : bias[co];
            int obase = ((b * s.cout() + co) * outT + outTi) * s.hOut() * wOut;
            for (int q = q0; q < qEnd; ) {
                int r = q / wp;
                int col = q - r * wp;
                int rowEnd = Math.min(qEnd, (r + 1) * wp);
                int n = Math.min(wOut - col, rowEnd - q);
                int o = obase + r * wOut + col;
                int ci = cOff + co * NR + q - q0;
                if (accumulate) {
                    for (int j = 0; j < n; j++) {
                        out[o + j] += c[ci + j] + bv;
                    }
                } else {
                    for (int j = 0; j < n; j++) {
                        out[o + j] = c[ci + j] + bv;
                    }
                }
                q = rowEnd;
            }
        }
    }

    /**
     * Row {@code i*kh + dh} of {@code rows} (at {@code rowLen} floats each) = plane {@code p = p0 + i} (channel
     * {@code p / kt} of padded frame {@code t + p % kt}) at padded positions {@code [q0 + dh*Wp, ... + len)}.
     */
    private void copyRows(float[] x, float[] front, int b, int t, int q0, int len, int p0, int pn, float[] rows) {
        int hw = s.h() * s.w();
        for (int i = 0; i < pn; i++) {
            int p = p0 + i;
            int ci = p / s.kt(), f = t + p % s.kt();
            float[] src = f < s.tf() ? front : x;
            int base = f < s.tf() ? ((b * s.cin() + ci) * s.tf() + f) * hw : ((b * s.cin() + ci) * s.t() + f - s.tf()) * hw;
            for (int dh = 0; dh < s.kh(); dh++) {
                copyPadded(src, base, q0 + dh * wp, len, rows, (i * s.kh() + dh) * rowLen);
            }
        }
    }

    /**
     * {@code len} padded positions from flat {@code a} of one input plane at {@code src[base]} into {@code dst[d...]}:
     * zeros outside the input.
     */
    private void copyPadded(float[] src, int base, int a, int len, float[] dst, int d) {
        int h = s.h(), w = s.w();
        while (len > 0) {
            int pr = a / wp, pc = a - pr * wp;
            int n = Math.min(len, wp - pc);
            int yy = pr - padTop;
            if (yy < 0 || yy >= h) {
                Arrays.fill(dst, d, d + n, 0f);
            } else {
                int c0 = pc - padLeft;
                int lead = Math.min(n, Math.max(0, -c0));
                int m = Math.max(0, Math.min(n - lead, w - (c0 + lead)));
                if (lead > 0) {
                    Arrays.fill(dst, d, d + lead, 0f);
                }
                if (m > 0) {
                    System.arraycopy(src, base + yy * w + c0 + lead, dst, d + lead, m);
                }
                if (lead + m < n) {
                    Arrays.fill(dst, d + lead + m, d + n, 0f);
                }
            }
            a += n;
            d += n;
            len -= n;
        }
    }

    /** This thread's rows and tile sums for a group, grown to this call's size. */
    private float[][] scratch() {
        float[][] sc = SCRATCH.get();
        if (sc[0].length < chunk * s.kh() * rowLen) {
            sc[0] = new float[Math.max(chunk * s.kh() * rowLen, CHUNK_FLOATS)];
        }
        if (sc[1].length < GROUP * coutPad * NR) {
            sc[1] = new float[GROUP * coutPad * NR];
        }
        return sc;
    }

    /**
     * {@code W[Cout, Cin, kt, kh, kw]} (any dtype) as {@code [ceil(Cout/MR)][K][MR]} fp32 in the kernel's k order,
     * channels past Cout zero: per chunk of planes, by {@code dw}, then plane, then {@code dh}.
     */
    private float[] packWeights(Weight w) {
        int cout = s.cout(), kh = s.kh(), kw = s.kw();
        float[] kept = PANEL.get();
        float[] p = kept.length >= coutPad * k ? kept : new float[coutPad * k];
        if (p != kept) {
            PANEL.set(p);
        }
        for (int co = cout; co < coutPad; co++) {
            for (int kk = 0; kk < k; kk++) {
                p[TileKernel.packedIndex(co, kk, k)] = 0f;
            }
        }
        Parallel.forRange(cout, 4, (from, to) -> {
            float[] row = new float[k];
            for (int co = from; co < to; co++) {
                w.widen((long) co * k, row, 0, k);
                int d = TileKernel.packedIndex(co, 0, k); // then MR floats per step of k, in the kernel's order
                for (int p0 = 0; p0 < planes; p0 += chunk) {
                    int pn = Math.min(chunk, planes - p0);
                    for (int dw = 0; dw < kw; dw++) {
                        for (int i = p0 * taps + dw; i < (p0 + pn) * taps; i += taps) {
                            for (int dh = 0; dh < kh; dh++, d += MR) {
                                p[d] = row[i + dh * kw];
                            }
                        }
                    }
                }
            }
        });
        return p;
    }
}
