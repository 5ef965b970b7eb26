package dev.cogvideox.tensor;

/**
 * Resampling of {@code [N, C, T, H, W]} volumes: nearest-neighbour gathers by index maps (PyTorch's
 * {@code F.interpolate(mode="nearest")} index rule) and temporal average pooling over frame pairs.
 */
public final class Resample {
    private Resample() {
    }

    /**
     * The source index of every output index of a nearest-neighbour resize from {@code in} to {@code out},
     * exactly as PyTorch computes it: identity for equal sizes, {@code i >> 1} for doubling, else
     * {@code min(floor(i * (float) in / out), in - 1)} in float arithmetic.
     */
    public static int[] nearestIndex(int in, int out) {
        int[] idx = new int[out];
        float scale = (float) in / out;
        for (int i = 0; i < out; i++) {
            if (out == in) {
                idx[i] = i;
            } else if (out == 2 * in) {
                idx[i] = i >> 1;
            } else {
                idx[i] = Math.min((int) Math.floor(i * scale), in - 1);
            }
        }
        return idx;
    }

    /**
     * Frame indices for a causal nearest resize from {@code in} to {@code out} frames: when {@code out} is odd and
     * greater than 1, frame 0 maps to frame 0 alone and the other {@code out - 1} frames are resized from the other
     * {@code in - 1}; otherwise all frames are resized together.
     */
    public static int[] causalFrameIndex(int in, int out) {
        if (out > 1 && out % 2 == 1) {
            int[] rest = nearestIndex(in - 1, out - 1);
            int[] idx = new int[out];
            for (int i = 0; i < rest.length; i++) {
                idx[i + 1] = rest[i] + 1;
            }
            return idx;
        }
        return nearestIndex(in, out);
    }

    /** {@code y[n, c, f, r, col] = x[n, c, frames[f], rows[r], cols[col]]}: {@code [N, C, |frames|, |rows|, |cols|]}. */
    public static Tensor gather(Tensor x, int[] frames, int[] rows, int[] cols) {
        requireVolume(x, "gather");
        int nc = x.dim(0) * x.dim(1), t = x.dim(2), h = x.dim(3), w = x.dim(4);
        int to = frames.length, ho = rows.length, wo = cols.length;
        Tensor y = Tensor.zeros(x.dim(0), x.dim(1), to, ho, wo);
        float[] xd = x.data(), yd = y.data();
        Parallel.forRange(nc * to, 4, (from, end) -> {
            for (int u = from; u < end; u++) {
                int plane = u / to, f = u % to;
                int src = (plane * t + frames[f]) * h * w;
                int dst = u * ho * wo;
                for (int r = 0; r < ho; r++) {
                    int srow = src + rows[r] * w;
                    for (int col = 0; col < wo; col++) {
                        yd[dst++] = xd[srow + cols[col]];
                    }
                }
            }
        });
        return y;
    }

    /** Every frame, every row, every column of an axis of length {@code n}: the identity index map. */
    public static int[] identity(int n) {
        return nearestIndex(n, n);
    }

    /**
     * Temporal average pooling with kernel and stride 2, frame 0 kept apart when the count is odd:
     * {@code [N, C, T, H, W] -> [N, C, T/2 (+1 if odd), H, W]}, each pair averaged as {@code (a + b) / 2}.
     */
    public static Tensor temporalAvgPool(Tensor x) {
        requireVolume(x, "temporal average pool");
        int nc = x.dim(0) * x.dim(1), t = x.dim(2), hw = x.dim(3) * x.dim(4);
        int keep = t % 2;
        int to = keep + (t - keep) / 2;
        Tensor y = Tensor.zeros(x.dim(0), x.dim(1), to, x.dim(3), x.dim(4));
        float[] xd = x.data(), yd = y.data();
        Parallel.forRange(nc * to, 4, (from, end) -> {
            for (int u = from; u < end; u++) {
                int plane = u / to, f = u % to;
                int dst = u * hw;
                if (f < keep) {
                    System.arraycopy(xd, plane * t * hw, yd, dst, hw);
                    continue;
                }
                int a = (plane * t + keep + 2 * (f - keep)) * hw;
                int b = a + hw;
                for (int i = 0; i < hw; i++) {
                    yd[dst + i] = (xd[a + i] + xd[b + i]) / 2f;
                }
            }
        });
        return y;
    }

    private static void requireVolume(Tensor x, String op) {
        if (x.rank() != 5) {
            throw new IllegalArgumentException(op + ": expected [N, C, T, H, W], got " + x);
        }
    }
}
