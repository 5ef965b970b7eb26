package dev.cogvideox.tensor;

/** Copies that change layout: concatenation, slicing along one dimension, the linear blend of overlapping tiles, general permutation. */
public final class Layout {
    private Layout() {
    }

    /** Concatenates tensors along {@code dim}; all other dimensions must agree. */
    public static Tensor cat(int dim, Tensor... parts) {
        return cat(dim, java.util.List.of(parts));
    }

    /** Concatenation along {@code dim}; all other dimensions must agree. */
    public static Tensor cat(int dim, java.util.List<Tensor> parts) {
        Tensor first = parts.getFirst();
        int d = dim < 0 ? first.rank() + dim : dim;
        int[] shape = first.shape();
        int sum = 0;
        for (Tensor p : parts) {
            int[] s = p.shape();
            s[d] = shape[d];
            if (!java.util.Arrays.equals(s, shape)) {
                throw new IllegalArgumentException("cat along dim " + d + ": " + p + " does not match " + first);
            }
            sum += p.dim(d);
        }
        int total = sum;
        shape[d] = total;
        Tensor y = Tensor.zeros(shape);
        int inner = inner(first, d);
        int outer = y.numel() / (total * inner);
        float[] yd = y.data();
        int offset = 0;
        for (Tensor p : parts) {
            int block = p.dim(d) * inner;
            int at = offset * inner;
            float[] pd = p.data();
            Parallel.forRange(outer, 64, (from, to) -> {
                for (int o = from; o < to; o++) {
                    System.arraycopy(pd, o * block, yd, o * total * inner + at, block);
                }
            });
            offset += p.dim(d);
        }
        return y;
    }

    /** A copy of {@code x[..., start:start+length, ...]} along {@code dim}. */
    public static Tensor narrow(Tensor x, int dim, int start, int length) {
        int d = dim < 0 ? x.rank() + dim : dim;
        int size = x.dim(d);
        if (start < 0 || length < 0 || start + length > size) {
            throw new IllegalArgumentException("narrow " + x + " dim " + d + ": range [" + start + ", " + (start + length) + ") outside [0, " + size + ")");
        }
        int[] shape = x.shape();
        shape[d] = length;
        Tensor y = Tensor.zeros(shape);
        int inner = inner(x, d);
        int outer = x.numel() / (size * inner);
        float[] xd = x.data(), yd = y.data();
        int block = length * inner;
        Parallel.forRange(outer, 64, (from, to) -> {
            for (int o = from; o < to; o++) {
                System.arraycopy(xd, (o * size + start) * inner, yd, o * block, block);
            }
        });
        return y;
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

    /**
     * Blends the last {@code extent} slices of {@code a} into the first {@code extent} slices of {@code b} along
     * {@code dim}, in place: {@code b[i] = a[len(a) - extent + i] * (1 - i/extent) + b[i] * (i/extent)}, the weights
     * computed in double and rounded to float. {@code a} and {@code b} agree on all other dimensions.
     */
    public static void blend(Tensor a, Tensor b, int dim, int extent) {
        int d = dim < 0 ? a.rank() + dim : dim;
        int la = a.dim(d), lb = b.dim(d);
        if (extent > la || extent > lb || extent < 0) {
            throw new IllegalArgumentException("blend extent " + extent + " exceeds " + a + " or " + b + " along dim " + d);
        }
        int inner = inner(a, d);
        int outer = a.numel() / (la * inner);
        if (inner(b, d) != inner || b.numel() / (lb * inner) != outer) {
            throw new IllegalArgumentException("blend: " + a + " and " + b + " differ outside dim " + d);
        }
        float[] ad = a.data(), bd = b.data();
        Parallel.forRange(outer, 16, (from, to) -> {
            for (int o = from; o < to; o++) {
                for (int i = 0; i < extent; i++) {
                    float wa = (float) (1 - (double) i / extent);
                    float wb = (float) ((double) i / extent);
                    int pa = (o * la + la - extent + i) * inner;
                    int pb = (o * lb + i) * inner;
                    for (int e = 0; e < inner; e++) {
                        bd[pb + e] = ad[pa + e] * wa + bd[pb + e] * wb;
                    }
                }
            }
        });
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

    private static int inner(Tensor x, int d) {
        return inner(x.shape(), d);
    }

    private static int inner(int[] shape, int d) {
        int n = 1;
        for (int i = d + 1; i < shape.length; i++) {
            n *= shape[i];
        }
        return n;
    }
}
