package dev.cogvideox.tensor;

import java.util.Arrays;

/**
 * 3D convolution, and the per-frame 2D convolution (a 3D one with temporal kernel 1, weight {@code [Cout, Cin, kh, kw]}).
 *
 * <p>Two paths with the same results up to the order of the sums: stride 1 (every convolution of the decoder and
 * nearly all of the encoder) runs as a direct implicit GEMM on a register-blocked micro-kernel ({@link Conv3dDirect});
 * other strides unfold one tile of patches at a time (im2col) into a {@code [P, K]} panel, {@code K = Cin*kt*kh*kw}
 * in the weight's own order, multiply it on {@link MatMul#gemm} and scatter the {@code [P, Cout]} result into the
 * channel-first output. Neither ever unfolds the whole volume.
 *
 * <p>The time axis of the input is the concatenation of optional leading frames ({@code front}: a causal
 * conv's padding or cache) and the input itself, so the padded volume is never materialised. Spatial
 * positions outside the input read as zero (zero padding, possibly asymmetric). Each output value is summed by one
 * thread in a fixed order, so results do not depend on the thread count.
 */
public final class Conv3d {
    /** Floats of one unfolded panel: 1M floats (4 MB) stays in the last-level cache next to the weight panel. */
    private static final int PANEL_FLOATS = 1 << 20;

    /** Strides (time, height, width) and spatial zero padding (top, bottom, left, right). */
    public record Geometry(int strideT, int strideH, int strideW, int padTop, int padBottom, int padLeft, int padRight) {
        public Geometry {
            if (strideT < 1 || strideH < 1 || strideW < 1) {
                throw new IllegalArgumentException("strides must be positive: " + strideT + ", " + strideH + ", " + strideW);
            }
            if (padTop < 0 || padBottom < 0 || padLeft < 0 || padRight < 0) {
                throw new IllegalArgumentException("padding must not be negative");
            }
        }

        /** Stride 1 and the same zero padding {@code pad} on all four sides. */
        public static Geometry same(int pad) {
            return new Geometry(1, 1, 1, pad, pad, pad, pad);
        }
    }

    private Conv3d() {
    }

    /**
     * {@code out[n, co, t, y, x] = bias[co] + sum w[co, ci, dt, dh, dw] * in[n, ci, t*sT + dt, y*sH + dh - top, x*sW + dw - left]}
     * where {@code in} is {@code front ++ x} along time.
     *
     * @param x     {@code [N, Cin, T, H, W]}
     * @param front {@code [N, Cin, Tf, H, W]} frames placed before {@code x}, or null
     * @param w     {@code [Cout, Cin, kt, kh, kw]}, or {@code [Cout, Cin, kh, kw]} for a 2D convolution of every frame
     * @param bias  {@code [Cout]} or null
     * @return {@code [N, Cout, Tout, Hout, Wout]}
     */
    static Tensor forward(Tensor x, Tensor front, Weight w, float[] bias, Geometry g) {
        Shape s = Shape.of(x, front, w, bias, g);
        Tensor out = Tensor.zeros(s.n, s.cout, s.tOut, s.hOut, s.wOut);
        if (Conv3dDirect.supports(g)) {
            Conv3dDirect.plan(s, w, g).run(x.data(), front == null ? null : front.data(), bias, out.data(), false);
        } else {
            im2col(x, front, w, bias, g, s, out);
        }
        return out;
    }

    /**
     * {@code out += conv(front ++ x)}: the convolution's result (with its bias) added to what {@code out} holds, in
     * one pass (the resnet's residual sum without a separate tensor).
     */
    static void accumulate(Tensor x, Tensor front, Weight w, float[] bias, Geometry g, Tensor out) {
        Shape s = Shape.of(x, front, w, bias, g);
        if (out.rank() != 5 || out.dim(0) != s.n || out.dim(1) != s.cout || out.dim(2) != s.tOut || out.dim(3) != s.hOut || out.dim(4) != s.wOut) {
            throw new IllegalArgumentException("conv " + w.name() + ": cannot accumulate into " + out + ", the output is ["
                    + s.n + ", " + s.cout + ", " + s.tOut + ", " + s.hOut + ", " + s.wOut + "]");
        }
        if (Conv3dDirect.supports(g)) {
            Conv3dDirect.plan(s, w, g).run(x.data(), front == null ? null : front.data(), bias, out.data(), true);
        } else {
            Ops.addInPlace(out, forward(x, front, w, bias, g));
        }
    }

    /**
     * The convolution written over its own input: {@code x} becomes the output, frame by frame from the last one (output
     * frame t reads input frames up to t only, so each is overwritten once nothing needs it), with one frame of
     * scratch instead of a second volume. Needs stride 1, {@code Cout == Cin}, a size-preserving padding and
     * {@code kt - 1} leading frames (a causal convolution), or a 2D one.
     *
     * @return {@code x}, now holding the output
     */
    static Tensor inPlace(Tensor x, Tensor front, Weight w, float[] bias, Geometry g) {
        Shape s = Shape.of(x, front, w, bias, g);
        if (!Conv3dDirect.supports(g) || s.cout != s.cin || s.tOut != s.t || s.hOut != s.h || s.wOut != s.w || s.tf != s.kt - 1) {
            throw new IllegalArgumentException("conv " + w.name() + ": cannot run in place on " + x + " (output ["
                    + s.n + ", " + s.cout + ", " + s.tOut + ", " + s.hOut + ", " + s.wOut + "], " + s.tf + " leading frames)");
        }
        Conv3dDirect.plan(s, w, g).runInPlace(x.data(), front == null ? null : front.data(), bias);
        return x;
    }

    /** The sizes of one call, checked. */
    record Shape(int n, int cin, int t, int h, int w, int tf, int cout, int kt, int kh, int kw, int tOut, int hOut, int wOut) {
        static Shape of(Tensor x, Tensor front, Weight w, float[] bias, Geometry g) {
            if (x.rank() != 5) {
                throw new IllegalArgumentException("conv " + w.name() + ": input must be [N, C, T, H, W], got " + x);
            }
            if (w.rank() != 5 && w.rank() != 4) {
                throw new IllegalArgumentException("conv " + w.name() + ": weight must have rank 4 or 5, got " + Shapes.str(w.shape()));
            }
            int n = x.dim(0), cin = x.dim(1), t = x.dim(2), h = x.dim(3), wi = x.dim(4);
            int cout = w.dim(0);
            int kt = w.rank() == 5 ? w.dim(2) : 1, kh = w.dim(-2), kw = w.dim(-1);
            if (w.dim(1) != cin) {
                throw new IllegalArgumentException("conv " + w.name() + ": weight " + Shapes.str(w.shape()) + " expects " + w.dim(1)
                        + " input channels, input " + x + " has " + cin);
            }
            if (bias != null && bias.length != cout) {
                throw new IllegalArgumentException("conv " + w.name() + ": bias has " + bias.length + " entries for " + cout + " outputs");
            }
            int tf = front == null ? 0 : front.dim(2);
            if (front != null && (front.rank() != 5 || front.dim(0) != n || front.dim(1) != cin || front.dim(3) != h || front.dim(4) != wi)) {
                throw new IllegalArgumentException("conv " + w.name() + ": leading frames " + front + " do not match input " + x);
            }
            int tOut = (tf + t - kt) / g.strideT() + 1;
            int hOut = (h + g.padTop() + g.padBottom() - kh) / g.strideH() + 1;
            int wOut = (wi + g.padLeft() + g.padRight() - kw) / g.strideW() + 1;
            if (tf + t < kt || hOut < 1 || wOut < 1) {
                throw new IllegalArgumentException("conv " + w.name() + ": input " + x + " (with " + tf + " leading frames) is smaller than the kernel "
                        + kt + "x" + kh + "x" + kw);
            }
            return new Shape(n, cin, t, h, wi, tf, cout, kt, kh, kw, tOut, hOut, wOut);
        }
    }

    /** The general path (any stride): im2col panels multiplied on {@link MatMul#gemm}. */
    private static void im2col(Tensor x, Tensor front, Weight w, float[] bias, Geometry g, Shape s, Tensor out) {
        int n = s.n, cout = s.cout;
        int k = s.cin * s.kt * s.kh * s.kw;
        Weight matrix = w.reshape(cout, k);                                   // [Cout, Cin*kt*kh*kw], same bytes
        int plane = s.tOut * s.hOut * s.wOut;
        int tile = Math.max(1, Math.min(plane, PANEL_FLOATS / k));
        float[] panel = new float[tile * k];
        float[] acc = new float[tile * cout];
        Unfold u = new Unfold(x.data(), front == null ? null : front.data(), s.cin, s.t, s.tf, s.h, s.w, s.kt, s.kh, s.kw, s.hOut, s.wOut, g);
        float[] od = out.data();
        for (int b = 0; b < n; b++) {
            int batch = b;
            for (int p0 = 0; p0 < plane; p0 += tile) {
                int pn = Math.min(tile, plane - p0);
                int first = p0;
                // 1. unfold the patches of positions [p0, p0 + pn) into panel[pn, K]
                Parallel.forRange(pn, 16, (from, to) -> {
                    for (int p = from; p < to; p++) {
                        u.row(batch, first + p, panel, p * k);
                    }
                });
                // 2. acc[pn, Cout] = panel[pn, K] . W[Cout, K]^T + bias
                MatMul.gemm(panel, 0, pn, k, matrix, bias, acc, 0);
                // 3. scatter into the channel-first output out[b, co, p0 + p]
                Parallel.forRange(cout, 4, (from, to) -> {
                    for (int co = from; co < to; co++) {
                        int dst = (batch * cout + co) * plane + first;
                        for (int p = 0; p < pn; p++) {
                            od[dst + p] = acc[p * cout + co];
                        }
                    }
                });
            }
        }
    }

    /** The im2col row builder: the patch of one output position in the weight's (ci, dt, dh, dw) order. */
    private record Unfold(float[] x, float[] front, int cin, int t, int tf, int h, int w, int kt, int kh, int kw,
                          int hOut, int wOut, Geometry g) {
        void row(int b, int pos, float[] dst, int off) {
            int xo = pos % wOut;
            int r = pos / wOut;
            int yo = r % hOut;
            int to = r / hOut;
            int t0 = to * g.strideT();
            int y0 = yo * g.strideH() - g.padTop();
            int x0 = xo * g.strideW() - g.padLeft();
            int hw = h * w;
            int idx = off;
            for (int ci = 0; ci < cin; ci++) {
                for (int dt = 0; dt < kt; dt++) {
                    int f = t0 + dt;
                    float[] src = f < tf ? front : x;
                    int base = f < tf ? ((b * cin + ci) * tf + f) * hw : ((b * cin + ci) * t + f - tf) * hw;
                    for (int dh = 0; dh < kh; dh++) {
                        int yy = y0 + dh;
                        if (yy < 0 || yy >= h) {
                            Arrays.fill(dst, idx, idx + kw, 0f);
                            idx += kw;
                            continue;
                        }
                        int rowBase = base + yy * w;
                        for (int dw = 0; dw < kw; dw++) {
                            int xx = x0 + dw;
                            dst[idx++] = xx >= 0 && xx < w ? src[rowBase + xx] : 0f;
                        }
                    }
                }
            }
        }
    }
}
