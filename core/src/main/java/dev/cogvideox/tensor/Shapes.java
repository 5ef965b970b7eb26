package dev.cogvideox.tensor;

import java.util.Arrays;

/** Small helpers on shapes (int arrays in PyTorch order). */
public final class Shapes {
    private Shapes() {
    }

    public static long numel(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
        }
        return n;
    }

    public static long numel(long... shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public static String str(int... shape) {
        return Arrays.toString(shape);
    }

    public static String str(long... shape) {
        return Arrays.toString(shape);
    }

    public static int[] toInt(long[] shape) {
        int[] r = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            r[i] = Math.toIntExact(shape[i]);
        }
        return r;
    }

    public static long[] toLong(int[] shape) {
        long[] r = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            r[i] = shape[i];
        }
        return r;
    }
}
