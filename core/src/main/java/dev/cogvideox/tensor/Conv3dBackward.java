package dev.cogvideox.tensor;

/**
 * Gradients of {@link Conv3d#forward} (input {@code front ++ x} along time, spatial zero padding, strides in height
 * and width; the time stride must be 1, as in every convolution of the 3D VAE).
 *
 * <p>Input: the gradient of a convolution with respect to its input is a stride-1 convolution of the output gradient
 * (spread out by the strides, {@code s - 1} zeros between neighbours) with the kernel flipped in every axis and its
 * two channel axes swapped, padded so that each input position meets every output that read it. It runs on the
 * forward's own kernel ({@link Conv3d#forward}).
 *
 * <p>Weight: {@code dW[co, k] = sum over positions p of g[co, p] * U[p, k]} with {@code U} the unfolded input (im2col):
 * tiles of positions are unfolded into {@code [K, P]} panels, one row per kernel tap, and multiplied with the output
 * gradient on {@link MatMul#gemm} ({@code [K, P] . [Cout, P]^T}, parallel over the taps, or {@code [Cout, P] . [K, P]^T}
 * when Cout is far below the micro-kernel's 64 columns). Never the whole unfold. At 17x96x96 with 32 channels in and
 * out it takes about 4 times the forward (0.3 s against 0.07 s on this 2-core machine).
 */
public final class Conv3dBackward {
    /** Floats of one unfolded panel (4 MB). */
    private static final int PANEL_FLOATS = 1 << 20;

    private Conv3dBackward() {
    }

    /**
     * {@code dL/d(front ++ x)} from {@code g = dL/dout}.
     *
     * @param g      {@code [N, Cout, Tout, Hout, Wout]}
     * @param w      the forward's weight, {@code [Cout, Cin, kt, kh, kw]} or {@code [Cout, Cin, kh, kw]}
     * @param frames {@code Tf + T}, the frames of the time-padded input
     * @param h      input height
     * @param width  input width
     * @return {@code [N, Cin, frames, h, width]}: the first {@code Tf} frames belong to {@code front}
     */
    static Tensor input(Tensor g, Weight w, Conv3d.Geometry geo, int frames, int h, int width) {
        requireStrideT(geo, w);
        int n = g.dim(0), cout = g.dim(1), to = g.dim(2), ho = g.dim(3), wo = g.dim(4);
        int cin = w.dim(1), kt = w.rank() == 5 ? w.dim(2) : 1, kh = w.dim(-2), kw = w.dim(-1);
        if (w.dim(0) != cout || to != frames - kt + 1) {
            throw new IllegalArgumentException("conv " + w.name() + " backward: output gradient " + g + " does not fit weight "
                    + Shapes.str(w.shape()) + " over " + frames + " input frames");
        }
        // 1. the output gradient spread by the strides, with kt - 1 zero frames behind it (the front ones go in `front`)
        int hs = (ho - 1) * geo.strideH() + 1, ws = (wo - 1) * geo.strideW() + 1;
        Tensor spread = spread(g, geo.strideH(), geo.strideW(), hs, ws, kt - 1); // [N, Cout, To + kt - 1, Hs, Ws]
        Tensor front = kt > 1 ? Tensor.zeros(n, cout, kt - 1, hs, ws) : null;
        // 2. pads that make the flipped correlation cover the input exactly
        Conv3d.Geometry back = new Conv3d.Geometry(1, 1, 1, kh - 1 - geo.padTop(), h - hs + geo.padTop(),
                kw - 1 - geo.padLeft(), width - ws + geo.padLeft());
        // 3. the flipped kernel with in and out swapped: wf[ci, co, kt-1-dt, kh-1-dh, kw-1-dw] = w[co, ci, dt, dh, dw]
        Tensor wf = Tensor.zeros(cin, cout, kt, kh, kw);
        int taps = kt * kh * kw;
        float[] row = new float[cin * taps];
        float[] wd = wf.data();
        for (int co = 0; co < cout; co++) {
            w.widen((long) co * cin * taps, row, 0, row.length);
            for (int ci = 0; ci < cin; ci++) {
                for (int k = 0; k < taps; k++) {
                    wd[(ci * cout + co) * taps + taps - 1 - k] = row[ci * taps + k];
                }
            }
        }
        return Conv3d.forward(spread, front, Weight.of(w.name() + " (flipped)", wf), null, back); // [N, Cin, frames, h, width]
    }

    /**
     * {@code dL/dW} from {@code g = dL/dout} and the forward's input.
     *
     * @param x           {@code [N, Cin, T, H, W]}
     * @param front       {@code [N, Cin, Tf, H, W]} or null, as given to the forward
     * @param g           {@code [N, Cout, Tout, Hout, Wout]}
     * @param weightShape the weight's shape (rank 5, or rank 4 for a 2D convolution of every frame)
     * @return a tensor of {@code weightShape}
     */
    static Tensor weight(Tensor x, Tensor front, Tensor g, int[] weightShape, Conv3d.Geometry geo) {
        Weight shapeOnly = Weight.of("weight gradient", Tensor.zeros(weightShape));
        requireStrideT(geo, shapeOnly);
        Conv3d.Shape s = Conv3d.Shape.of(x, front, shapeOnly, null, geo);
        if (g.dim(0) != s.n() || g.dim(1) != s.cout() || g.dim(2) != s.tOut() || g.dim(3) != s.hOut() || g.dim(4) != s.wOut()) {
            throw new IllegalArgumentException("conv backward: output gradient " + g + " does not fit input " + x + " and weight "
                    + Shapes.str(weightShape));
        }
        int k = s.cin() * s.kt() * s.kh() * s.kw(), cout = s.cout();
        int plane = s.tOut() * s.hOut() * s.wOut();
        int tile = Math.max(64, Math.min(plane, PANEL_FLOATS / k));
        // The product's orientation: the micro-kernel's tiles are 6 rows by 64 columns, and only its rows run in
        // parallel. K rows by Cout columns wastes the columns past Cout (most at the output conv's 3); Cout rows by
        // K columns wastes little but runs on one thread below 120 rows. Take the one with less work per thread.
        long byTaps = (long) k * roundUp(cout, 64) / Parallel.threads();
        long byChannels = (long) roundUp(cout, 6) * roundUp(k, 64) / (cout > 120 ? Parallel.threads() : 1);
        boolean tapRows = byTaps <= byChannels;
        float[] panel = new float[tile * k];
        float[] gPanel = new float[cout * tile];
        float[] acc = new float[k * cout];                                   // dW^T [K, Cout] or dW [Cout, K]
        float[] gd = g.data();
        for (int b = 0; b < s.n(); b++) {
            for (int p0 = 0; p0 < plane; p0 += tile) {
                int pn = Math.min(tile, plane - p0);
                int batch = b, first = p0;
                // 1. U^T[K, pn]: row k = the input under tap k at every position of the tile
                Parallel.forRange(k, 8, (from, to) -> {
                    for (int kk = from; kk < to; kk++) {
                        unfoldRow(x, front, s, geo, batch, kk, first, pn, panel, kk * pn);
                    }
                });
                // 2. G[Cout, pn], then acc += U^T . G^T (or G . U)
                for (int co = 0; co < cout; co++) {
                    System.arraycopy(gd, (batch * cout + co) * plane + first, gPanel, co * pn, pn);
                }
                if (tapRows) {
                    MatMul.gemmAccumulate(panel, 0, k, pn, panelWeight("output gradient", gPanel, cout, pn), null, acc, 0);
                } else {
                    MatMul.gemmAccumulate(gPanel, 0, cout, pn, panelWeight("unfolded input", panel, k, pn), null, acc, 0);
                }
            }
        }
        if (!tapRows) {
            return Tensor.of(acc, weightShape);
        }
        Tensor dw = Tensor.zeros(weightShape);
        float[] d = dw.data();
        for (int kk = 0; kk < k; kk++) {
            for (int co = 0; co < cout; co++) {
                d[co * k + kk] = acc[kk * cout + co];
            }
        }
        return dw;
    }

    /** The first {@code rows x cols} floats of {@code data} as an F32 weight (the B operand of a product). */
    private static Weight panelWeight(String name, float[] data, int rows, int cols) {
        return new Weight(name, DType.F32, new int[] {rows, cols},
                java.lang.foreign.MemorySegment.ofArray(data).asSlice(0, (long) rows * cols * Float.BYTES));
    }

    private static int roundUp(int v, int step) {
        return (v + step - 1) / step * step;
    }

    /** {@code dL/dbias [Cout]}: the output gradient summed over samples and positions (in double). */
    static Tensor bias(Tensor g) {
        int n = g.dim(0), c = g.dim(1), plane = g.numel() / (n * c);
        Tensor db = Tensor.zeros(c);
        float[] gd = g.data();
        Parallel.forRange(c, 1, (from, to) -> {
            for (int co = from; co < to; co++) {
                double sum = 0;
                for (int b = 0; b < n; b++) {
                    int off = (b * c + co) * plane;
                    for (int i = 0; i < plane; i++) {
                        sum += gd[off + i];
                    }
                }
                db.data()[co] = (float) sum;
            }
        });
        return db;
    }

    /** Row {@code kk = (ci, dt, dh, dw)} of the unfold for positions {@code [p0, p0 + pn)} of sample {@code b}. */
    private static void unfoldRow(Tensor x, Tensor front, Conv3d.Shape s, Conv3d.Geometry geo, int b, int kk, int p0, int pn,
                                  float[] dst, int off) {
        int dw = kk % s.kw(), r = kk / s.kw();
        int dh = r % s.kh();
        r /= s.kh();
        int dt = r % s.kt(), ci = r / s.kt();
        int hw = s.h() * s.w();
        float[] xd = x.data(), fd = front == null ? null : front.data();
        int p = p0, end = p0 + pn, d = off;
        while (p < end) {
            int xo = p % s.wOut(), rest = p / s.wOut();
            int yo = rest % s.hOut(), tOut = rest / s.hOut();
            int run = Math.min(end - p, s.wOut() - xo);                     // positions left in this output row
            int f = tOut * geo.strideT() + dt;
            int yy = yo * geo.strideH() + dh - geo.padTop();
            if (yy < 0 || yy >= s.h()) {
                java.util.Arrays.fill(dst, d, d + run, 0f);
            } else {
                float[] src = f < s.tf() ? fd : xd;
                int base = (f < s.tf() ? ((b * s.cin() + ci) * s.tf() + f) * hw : ((b * s.cin() + ci) * s.t() + f - s.tf()) * hw) + yy * s.w();
                int sw = geo.strideW();
                if (sw == 1) {
                    // contiguous: zeros left of the input, one copy, zeros right of it
                    int x0 = xo + dw - geo.padLeft();
                    int lead = Math.min(run, Math.max(0, -x0));
                    int n = Math.max(0, Math.min(run - lead, s.w() - (x0 + lead)));
                    for (int i = 0; i < lead; i++) {
                        dst[d + i] = 0f;
                    }
                    if (n > 0) {
                        System.arraycopy(src, base + x0 + lead, dst, d + lead, n);
                    }
                    for (int i = lead + n; i < run; i++) {
                        dst[d + i] = 0f;
                    }
                } else {
                    for (int i = 0; i < run; i++) {
                        int xx = (xo + i) * sw + dw - geo.padLeft();
                        dst[d + i] = xx >= 0 && xx < s.w() ? src[base + xx] : 0f;
                    }
                }
            }
            p += run;
            d += run;
        }
    }

    /** {@code g} with {@code sh - 1} and {@code sw - 1} zeros between neighbours and {@code backFrames} zero frames appended. */
    private static Tensor spread(Tensor g, int sh, int sw, int hs, int ws, int backFrames) {
        if (sh == 1 && sw == 1 && backFrames == 0) {
            return g;
        }
        int n = g.dim(0), c = g.dim(1), t = g.dim(2), ho = g.dim(3), wo = g.dim(4);
        Tensor out = Tensor.zeros(n, c, t + backFrames, hs, ws);
        float[] gd = g.data(), od = out.data();
        Parallel.forRange(n * c * t, 4, (from, to) -> {
            for (int u = from; u < to; u++) {
                int f = u % t, nc = u / t;
                int src = u * ho * wo, dst = (nc * (t + backFrames) + f) * hs * ws;
                for (int y = 0; y < ho; y++) {
                    for (int xx = 0; xx < wo; xx++) {
                        od[dst + y * sh * ws + xx * sw] = gd[src + y * wo + xx];
                    }
                }
            }
        });
        return out;
    }

    private static void requireStrideT(Conv3d.Geometry geo, Weight w) {
        if (geo.strideT() != 1) {
            throw new IllegalArgumentException("conv " + w.name() + " backward: time stride " + geo.strideT() + " is not supported (the VAE uses 1)");
        }
    }
}
