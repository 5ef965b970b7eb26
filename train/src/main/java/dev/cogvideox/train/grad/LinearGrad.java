package dev.cogvideox.train.grad;

import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

/**
 * Backward of {@code nn.Linear} {@code y = x W^T + b}, x {@code [M, K]}, W {@code [N, K]}, y {@code [M, N]} (leading
 * dimensions of x and y flattened into M). Both products run on the layer's {@link Kernels#gemm}, on transposed copies.
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
        Tensor wt = Layout.permute(w, 1, 0);                                              // [K, N]
        kernels.gemm(dy.data(), 0, m, n, Weight.of("W^T", wt), null, dx.data(), 0);
        return dx;
    }

    /** {@code dW [N, K] = dy^T [N, M] . x [M, K]}. */
    public static Tensor weightGrad(Kernels kernels, Tensor x, Tensor dy) {
        int k = x.dim(-1), n = dy.dim(-1), m = x.numel() / k;
        if (dy.numel() / n != m) {
            throw new IllegalArgumentException("linear backward: input " + x + " and gradient " + dy + " have different rows");
        }
        Tensor dyT = Layout.permute(dy.reshape(m, n), 1, 0);                              // [N, M]
        Tensor xT = Layout.permute(x.reshape(m, k), 1, 0);                                // [K, M]
        Tensor dw = Tensor.zeros(n, k);
        kernels.gemm(dyT.data(), 0, n, m, Weight.of("x^T", xT), null, dw.data(), 0);
        return dw;
    }

    /** {@code db [N] = sum over rows of dy}. */
    public static Tensor biasGrad(Tensor dy) {
        return Reduce.sumRows(dy);
    }
}
