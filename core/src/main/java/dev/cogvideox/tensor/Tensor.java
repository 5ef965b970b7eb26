package dev.cogvideox.tensor;

import java.util.Arrays;

/**
 * A dense fp32 activation tensor: contiguous, row-major, PyTorch dimension order, backed by a heap array.
 * The array is exposed on purpose: kernels read and write it directly. Reshapes share the array.
 */
public final class Tensor {
    private final float[] data;
    private final int[] shape;

    private Tensor(float[] data, int[] shape) {
        long n = Shapes.numel(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Shapes.str(shape) + " needs " + n + " elements, array has " + data.length);
        }
        this.data = data;
        this.shape = shape.clone();
    }

    public static Tensor of(float[] data, int... shape) {
        return new Tensor(data, shape);
    }

    public static Tensor zeros(int... shape) {
        long n = Shapes.numel(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor of shape " + Shapes.str(shape) + " (" + n + " elements) exceeds one heap array");
        }
        return new Tensor(new float[(int) n], shape);
    }

    public float[] data() {
        return data;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code d}; negative values count from the end as in PyTorch. */
    public int dim(int d) {
        return shape[d < 0 ? shape.length + d : d];
    }

    public int numel() {
        return data.length;
    }

    /** A view with another shape over the same array (-1 infers one dimension). */
    public Tensor reshape(int... newShape) {
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("only one -1 allowed in " + Arrays.toString(newShape));
                }
                infer = i;
            } else {
                known *= s[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || data.length % known != 0) {
                throw new IllegalArgumentException("cannot reshape " + Shapes.str(shape) + " to " + Arrays.toString(newShape));
            }
            s[infer] = (int) (data.length / known);
        }
        if (Shapes.numel(s) != data.length) {
            throw new IllegalArgumentException("cannot reshape " + Shapes.str(shape) + " to " + Arrays.toString(newShape));
        }
        return new Tensor(data, s);
    }

    public Tensor copy() {
        return new Tensor(data.clone(), shape);
    }

    public boolean sameShape(Tensor o) {
        return Arrays.equals(shape, o.shape);
    }

    /** Throws with both shapes when this tensor's shape is not {@code expected}. */
    public Tensor requireShape(String what, int... expected) {
        if (!Arrays.equals(shape, expected)) {
            throw new IllegalArgumentException(what + ": expected shape " + Shapes.str(expected) + ", got " + Shapes.str(shape));
        }
        return this;
    }

    @Override
    public String toString() {
        return "Tensor" + Shapes.str(shape);
    }
}
