package dev.cogvideox.tensor;

import java.util.Arrays;

/**
 * {@link Conv3d} at stride 1 as a direct implicit GEMM: {@code out[co, q] = sum_k W[co, k] * in(k, q)}, with
 * {@code M = Cout}, {@code N} the output positions, {@code K = Cin*kt*kh*kw}, and no im2col matrix.
 *
 * <p>Positions are taken flat on the zero-padded grid of width {@code Wp = W + left + right}: output
 * {@code q = y*Wp + x} reads padded input {@code q + dh*Wp + dw} at tap {@code (dh, dw)}; the {@code kw - 1} columns
 * per row past the output width are computed and dropped (2 of 92 at 90 wide). A micro-tile is {@link TileKernel#COLS}
 * consecutive positions; a unit of work is a group of {@link #GROUP} tiles of one frame. For each tile of the group,
 * a chunk of input planes (one per input channel and time tap) is packed k-major: per plane and spatial tap
 * {@code (dh, dw)} the tile's {@code NR} positions shifted by the tap, zeros where the padding is ({@code kh*kw} times
 * the tile's share of the input, contiguous, in L2); every block of {@link TileKernel#ROWS} output channels then
 * sums that chunk in registers with {@link TileKernel#tile} (the matrix products' micro-kernel: weights as A, the
 * packed input as B) for each tile in turn, resuming from the previous chunk's sums, so each output value is one
 * sequential sum over k whatever the chunking or the thread. The epilogue adds the bias (and the old output when
 * accumulating) and writes the tile's valid positions channel-first.
 *
 * <p>Memory: the packed weights ({@code Cout x K} floats, per call) and, per thread, the group's packed chunks
 * (512 KB) and sums ({@code GROUP x Cout x NR} floats), kept in a thread-local between calls, are the only scratch;
 * {@link #runInPlace} adds one output frame.
 */
final class Conv3dDirect {
    /** Output channels per micro-tile. */
    private static final int MR = TileKernel.ROWS;
    /** Output positions per micro-tile. */
    private static final int NR = TileKernel.COLS;
    /** Floats of one tile's packed chunk of planes: 64 KB. */
    private static final int CHUNK_FLOATS = 1 << 14;
    /**
     * Micro-tiles that share each block of weights: a chunk's weights for one channel block ({@code MR x chunk x taps},
     * about 6 KB) are used by this many tiles in a row from L1/L2, and the group's packed chunks (512 KB) stay in L2.
     * Without it every tile streams all the weights (28 MB at 512 channels) from L3 or memory.
     */
    private static final int GROUP = 8;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0], new float[0]});

    private final Conv3d.Shape s;
    private final int padTop, padLeft, wp;
    private final int tiles, groups, planes, taps, chunk;
    /** {@code [ceil(Cout/MR)][K][MR]}: each channel block's weights tap by tap, zero rows past Cout. */
    private final float[] panel;
    private final int k;
    private final int coutPad;

    private Conv3dDirect(Conv3d.Shape s, Weight w, Conv3d.Geometry g) {
        this.s = s;
        this.padTop = g.padTop();
        this.padLeft = g.padLeft();
        this.wp = s.w() + g.padLeft() + g.padRight();
        this.tiles = (s.hOut() * wp + NR - 1) / NR;
        this.groups = (tiles + GROUP - 1) / GROUP;
        this.planes = s.cin() * s.kt();
        this.taps = s.kh() * s.kw();
        this.chunk = Math.max(1, Math.min(planes, CHUNK_FLOATS / (taps * NR)));
        this.k = planes * taps;
        this.coutPad = (s.cout() + MR - 1) / MR * MR;
        this.panel = pack(w, s.cout(), k);
    }

    static boolean supports(Conv3d.Geometry g) {
        return g.strideT() == 1 && g.strideH() == 1 && g.strideW() == 1;
    }

    static Conv3dDirect plan(Conv3d.Shape s, Weight w, Conv3d.Geometry g) {
        return new Conv3dDirect(s, w, g);
    }

    /** {@code out = conv(front ++ x) (+ out when accumulating)} for the whole {@code [N, Cout, Tout, Hout, Wout]}. */
    void run(float[] x, float[] front, float[] bias, float[] out, boolean accumulate) {
        int units = s.n() * s.tOut() * groups;
        Parallel.forRange(units, 1, (from, to) -> {
            float[][] scratch = scratch();
            for (int u = from; u < to; u++) {
                int group = u % groups, r = u / groups;
                int t = r % s.tOut(), b = r / s.tOut();
                unit(x, front, b, t, group, scratch, bias, out, s.tOut(), t, accumulate);
            }
        });
    }

    /** The output written over {@code x}: frames from the last, each computed into one scratch frame, then copied. */
    void runInPlace(float[] x, float[] front, float[] bias) {
        int frame = s.hOut() * s.wOut();
        float[] next = new float[s.n() * s.cout() * frame];
        for (int t = s.tOut() - 1; t >= 0; t--) {
            int ft = t;
            Parallel.forRange(s.n() * groups, 1, (from, to) -> {
                float[][] scratch = scratch();
                for (int u = from; u < to; u++) {
                    unit(x, front, u / groups, ft, u % groups, scratch, bias, next, 1, 0, false);
                }
            });
            Parallel.forRange(s.n() * s.cout(), 8, (from, to) -> {
                for (int nc = from; nc < to; nc++) {
                    System.arraycopy(next, nc * frame, x, (nc * s.t() + ft) * frame, frame);
                }
            });
        }
    }

    /**
     * Micro-tiles {@code [group*GROUP, ...)} of output frame {@code t} of sample {@code b} into {@code out} seen as
     * {@code [N, Cout, outT, Hout, Wout]} at frame {@code outTi}.
     */
    private void unit(float[] x, float[] front, int b, int t, int group, float[][] scratch, float[] bias,
                      float[] out, int outT, int outTi, boolean accumulate) {
        float[] packed = scratch[0];
        float[] c = scratch[1];
        float[] row = scratch[2];
        int tile0 = group * GROUP;
        int gn = Math.min(GROUP, tiles - tile0);
        int packedTile = chunk * taps * NR;
        int sumsTile = coutPad * NR;
        for (int p0 = 0; p0 < planes; p0 += chunk) {
            int pn = Math.min(chunk, planes - p0);
            // 1. planes [p0, p0 + pn) of the group's tiles, zero-padded
            pack(x, front, b, t, tile0 * NR, gn, p0, pn, row, packed, packedTile);
            // 2. every channel block sums the chunk for every tile (its weights stay in cache), resuming after the previous chunk
            for (int cb = 0; cb < coutPad; cb += MR) {
                int wOff = TileKernel.packedIndex(cb, p0 * taps, k);
                for (int g = 0; g < gn; g++) {
                    int ci = g * sumsTile + cb * NR;
                    boolean resume = p0 > 0;
                    TileKernel.tile(panel, wOff, pn * taps, packed, g * packedTile,
                            resume ? c : TileKernel.ZERO, resume ? ci : 0, resume ? NR : 0, null, c, ci, NR);
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
     * Packed plane {@code p - p0} (plane {@code p = ci*kt + dt}: channel ci of padded frame {@code t + dt}), step
     * {@code dh*kw + dw} of tile {@code g} = padded positions {@code [q0 + g*NR + dh*Wp + dw, ... + NR)}, at
     * {@code packed[g * packedTile + ...]}. Each kernel row is read once for all {@code gn} tiles into {@code row}
     * ({@code gn*NR + kw - 1} floats: one sequential read of the input, which the hardware prefetcher follows, where
     * a read per tile would be {@code gn} short ones), then copied at its kw shifts into every tile.
     */
    private void pack(float[] x, float[] front, int b, int t, int q0, int gn, int p0, int pn, float[] row, float[] packed, int packedTile) {
        int hw = s.h() * s.w();
        int len = gn * NR + s.kw() - 1;
        for (int i = 0; i < pn; i++) {
            int p = p0 + i;
            int ci = p / s.kt(), f = t + p % s.kt();
            float[] src = f < s.tf() ? front : x;
            int base = f < s.tf() ? ((b * s.cin() + ci) * s.tf() + f) * hw : ((b * s.cin() + ci) * s.t() + f - s.tf()) * hw;
            for (int dh = 0; dh < s.kh(); dh++) {
                copyPadded(src, base, q0 + dh * wp, len, row);
                for (int g = 0; g < gn; g++) {
                    int step = g * packedTile + (i * taps + dh * s.kw()) * NR;
                    for (int dw = 0; dw < s.kw(); dw++) {
                        System.arraycopy(row, g * NR + dw, packed, step + dw * NR, NR);
                    }
                }
            }
        }
    }

    /** {@code len} padded positions from flat {@code a} of one input plane at {@code src[base]} into {@code dst}: zeros outside the input. */
    private void copyPadded(float[] src, int base, int a, int len, float[] dst) {
        int h = s.h(), w = s.w();
        int d = 0;
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

    /** This thread's packed chunks and tile sums for a group, grown to this call's size. */
    private float[][] scratch() {
        float[][] sc = SCRATCH.get();
        if (sc[0].length < GROUP * chunk * taps * NR) {
            sc[0] = new float[GROUP * Math.max(chunk * taps * NR, CHUNK_FLOATS)];
        }
        if (sc[2].length < GROUP * NR + s.kw() - 1) {
            sc[2] = new float[GROUP * NR + s.kw() - 1];
        }
        if (sc[1].length < GROUP * coutPad * NR) {
            sc[1] = new float[GROUP * coutPad * NR];
        }
        return sc;
    }

    /** {@code W[Cout, K]} (any dtype) as {@code [ceil(Cout/MR)][K][MR]} fp32, channels past Cout zero. */
    private static float[] pack(Weight w, int cout, int k) {
        int blocks = (cout + MR - 1) / MR;
        float[] p = new float[blocks * k * MR];
        Parallel.forRange(cout, 4, (from, to) -> {
            float[] row = new float[k];
            for (int co = from; co < to; co++) {
                w.widen((long) co * k, row, 0, k);
                for (int kk = 0; kk < k; kk++) {
                    p[TileKernel.packedIndex(co, kk, k)] = row[kk];
                }
            }
        });
        return p;
    }

}
