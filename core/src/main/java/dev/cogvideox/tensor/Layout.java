package dev.cogvideox.tensor;

/** Copies that change layout: concatenation, slicing along one dimension, general permutation. */
public final class Layout {
    private Layout() {
    }

    /** Concatenates tensors along {@code dim}; all other dimensions must agree. */
    public static Tensor cat(int dim, Tensor... parts) {
        int[] shape = parts[0].shape();
        int d = dim < 0 ? shape.length + dim : dim;
        int total = 0;
        for (Tensor p : parts) {
            int[] s = p.shape();
            for (int i = 0; i < s.length; i++) {
                if (i != d && s[i] != shape[i]) {
                    throw new IllegalArgumentException("cat along " + d + ": shapes " + Shapes.str(shape) + " and " + Shapes.str(s) + " differ");
                }
            }
            total += s[d];
        }
        shape[d] = total;
        Tensor out = Tensor.zeros(shape);
        int outer = outer(shape, d);
        int inner = inner(shape, d);
        int offset = 0;
        for (Tensor p : parts) {
            int rows = p.dim(d) * inner;
            for (int o = 0; o < outer; o++) {
                System.arraycopy(p.data(), o * rows, out.data(), o * total * inner + offset, rows);
            }
            offset += rows;
        }
        return out;
    }

    /** {@code x.narrow(dim, start, length)} as a contiguous copy. */
    public static Tensor narrow(Tensor x, int dim, int start, int length) {
        int[] shape = x.shape();
        int d = dim < 0 ? shape.length + dim : dim;
        if (start < 0 || length < 0 || start + length > shape[d]) {
            throw new IndexOutOfBoundsException("narrow(" + d + ", " + start + ", " + length + ") of " + x);
        }
        int size = shape[d];
        shape[d] = length;
        Tensor out = Tensor.zeros(shape);
        int outer = outer(shape, d);
        int inner = inner(shape, d);
        for (int o = 0; o < outer; o++) {
            System.arraycopy(x.data(), (o * size + start) * inner, out.data(), o * length * inner, length * inner);
        }
        return out;
    }

    /** Writes {@code src} into {@code dst} at {@code start} along {@code dim} (the inverse of {@link #narrow}). */
    public static void paste(Tensor dst, int dim, int start, Tensor src) {
        int[] shape = dst.shape();
        int d = dim < 0 ? shape.length + dim : dim;
        int length = src.dim(d);
        int size = shape[d];
        int outer = outer(shape, d);
        int inner = inner(shape, d);
        for (int o = 0; o < outer; o++) {
            System.arraycopy(src.data(), o * length * inner, dst.data(), (o * size + start) * inner, length * inner);
        }
    }

    /** {@code x.permute(order).contiguous()}. */
    public static Tensor permute(Tensor x, int... order) {
        int[] in = x.shape();
        int r = in.length;
        if (order.length != r) {
            throw new IllegalArgumentException("permute order " + java.util.Arrays.toString(order) + " for " + x);
        }
        int[] out = new int[r];
        int[] inStride = new int[r];
        for (int i = r - 1, s = 1; i >= 0; i--) {
            inStride[i] = s;
            s *= in[i];
        }
        int[] stride = new int[r];
        for (int i = 0; i < r; i++) {
            out[i] = in[order[i]];
            stride[i] = inStride[order[i]];
        }
        Tensor y = Tensor.zeros(out);
        float[] src = x.data(), dst = y.data();
        int last = out[r - 1], lastStride = stride[r - 1];
        int rows = last == 0 ? 0 : dst.length / last;
        Parallel.forRange(rows, 256, (from, to) -> {
            int[] idx = new int[r];
            for (int row = from; row < to; row++) {
                int rem = row, base = 0;
                for (int i = r - 2; i >= 0; i--) {
                    idx[i] = rem % out[i];
                    rem /= out[i];
                    base += idx[i] * stride[i];
                }
                int o = row * last;
                for (int j = 0; j < last; j++) {
                    dst[o + j] = src[base + j * lastStride];
                }
            }
        });
        return y;
    }

    private static int outer(int[] shape, int d) {
        int n = 1;
        for (int i = 0; i < d; i++) {
            n *= shape[i];
        }
        return n;
    }

    private static int inner(int[] shape, int d) {
        int n = 1;
        for (int i = d + 1; i < shape.length; i++) {
            n *= shape[i];
        }
        return n;
    }
}
