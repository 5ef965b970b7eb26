package dev.cogvideox.train.grad;

import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;

/**
 * Backward of {@code nn.Linear} {@code y = x W^T + b}, x {@code [M, K]}, W {@code [N, K]}, y {@code [M, N]} (leading
 * dimensions of x and y flattened into M). Both products run on the layer's {@link Kernels#product}, which reads the
 * operands in their stored layout (no transposed copies).
 */
public final class LinearGrad {
    private LinearGrad() {
    }

    /** {@code dx [..., K] = dy [..., N] . W [N, K]}. */
    public static Tensor inputGrad(Kernels kernels, Tensor dy, Tensor w) {
        int n = w.dim(0), k = w.dim(1);
        if (dy.dim(-1) != n) {
            throw new IllegalArgumentException("linear backward: gradient " + dy + " does not match weight " + w);
        }
        int m = dy.numel() / n;
        int[] shape = dy.shape();
        shape[shape.length - 1] = k;
        Tensor dx = Tensor.zeros(shape);
        kernels.product(dy.data(), false, w.data(), false, m, k, n, dx.data());          // dy [M, N] . W [N, K]
        return dx;
    }

    /** {@code dW [N, K] = dy^T [N, M] . x [M, K]}. */
    public static Tensor weightGrad(Kernels kernels, Tensor x, Tensor dy) {
        int k = x.dim(-1), n = dy.dim(-1), m = x.numel() / k;
        if (dy.numel() / n != m) {
            throw new IllegalArgumentException("linear backward: input " + x + " and gradient " + dy + " have different rows");
        }
        Tensor dw = Tensor.zeros(n, k);
        kernels.product(dy.data(), true, x.data(), false, n, k, m, dw.data());           // (dy [M, N])^T . x [M, K]
        return dw;
    }

    /** {@code db [N] = sum over rows of dy}. */
    public static Tensor biasGrad(Tensor dy) {
        return Reduce.sumRows(dy);
    }
}
