package dev.cogvideox.tensor;

/**
 * The compute kernels the models run on, behind one interface so that another provider (quantized products, native
 * code) can take the place of the pure-Java one: the matrix products of {@code nn.Linear} for every weight format
 * ({@link Weight} carries its dtype or {@link Weight#quantFormat()}), attention (dense, or block-sparse through a
 * {@link Attention.KeySelection}), the 3D convolution and its backward, and the group, layer and RMS norms.
 * Element-wise, layout and resampling helpers ({@link Ops}, {@link Rope}, {@link Layout}, {@link Resample}) stay static.
 *
 * <p>A model holds one provider from construction (its {@code WeightStore}'s, {@link #JAVA} unless whoever opened
 * the store chose another) in a final field, so each call site sees one receiver class and the JIT inlines the call.
 * The static entry points of the Java kernels are package-private: outside this package, kernels run only through
 * a provider. Every method has the semantics of the Java kernel it names; a provider may differ only in rounding.
 */
public interface Kernels {
    /** The pure-Java kernels of this package. */
    Kernels JAVA = JavaKernels.INSTANCE;

    /**
     * {@code x[..., K] -> y[..., N] = x W^T + b} with {@code W[N, K]} and an optional bias {@code [N]}: the shapes checked,
     * then {@link #gemm} over the flattened rows (every provider's, so a provider implements the product once).
     */
    default Tensor linear(Tensor x, Weight w, Weight bias) {
        int k = x.dim(-1);
        if (w.rank() != 2 || w.dim(1) != k) {
            throw new IllegalArgumentException("linear " + w.name() + ": input " + x + " has last dimension " + k
                    + " but weight has shape " + Shapes.str(w.shape()));
        }
        int n = w.dim(0);
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != n)) {
            throw new IllegalArgumentException("linear " + bias.name() + ": bias shape " + Shapes.str(bias.shape()) + " does not match " + n + " outputs");
        }
        int m = x.numel() / k;
        int[] outShape = x.shape();
        outShape[outShape.length - 1] = n;
        Tensor y = Tensor.zeros(outShape);
        gemm(x.data(), 0, m, k, w, bias == null ? null : bias.toTensor().data(), y.data(), 0);
        return y;
    }

    /**
     * {@code c[cOff + i*N + j] = sum_k a[aOff + i*K + k] * W[j, k] + bias[j]} for i < m, j < N, rows packed densely;
     * {@code bias} may be null ({@link MatMul#gemm}).
     */
    void gemm(float[] a, int aOff, int m, int k, Weight w, float[] bias, float[] c, int cOff);

    /**
     * {@code c[m, n] = A[m, k] · B[k, n]} on fp32 row-major operands, A stored as {@code [m, k]} or (aTransposed)
     * {@code [k, m]}, B as {@code [k, n]} or (bTransposed) {@code [n, k]}: the backward products of a linear layer
     * without transposed copies ({@link MatMul#product}).
     */
    void product(float[] a, boolean aTransposed, float[] b, boolean bTransposed, int m, int n, int k, float[] c);

    /**
     * {@code softmax(scale · Q K^T + bias) V} per head, q {@code [B, Lq, H*D]}, k and v {@code [B, Lk, H*D]}; {@code bias}
     * {@code [H, Lq, Lk]} or null; {@code keys} the block-sparse selection, or null for every key ({@link Attention#attend}).
     */
    Tensor attend(Tensor q, Tensor k, Tensor v, int heads, float scale, Tensor bias, Attention.KeySelection keys);

    /** The 3D (or per-frame 2D) convolution of {@code front ++ x} along time ({@link Conv3d#forward}). */
    Tensor conv3d(Tensor x, Tensor front, Weight w, float[] bias, Conv3d.Geometry g);

    /** {@code out += conv3d(x, front, w, bias, g)} in one pass ({@link Conv3d#accumulate}). */
    void conv3dAccumulate(Tensor x, Tensor front, Weight w, float[] bias, Conv3d.Geometry g, Tensor out);

    /** The convolution written over its own input, which it returns ({@link Conv3d#inPlace}). */
    Tensor conv3dInPlace(Tensor x, Tensor front, Weight w, float[] bias, Conv3d.Geometry g);

    /** The gradient of the time-padded input {@code [N, Cin, frames, h, width]} ({@link Conv3dBackward#input}). */
    Tensor conv3dInputGrad(Tensor g, Weight w, Conv3d.Geometry geo, int frames, int h, int width);

    /** The gradient of the weight, a tensor of {@code weightShape} ({@link Conv3dBackward#weight}). */
    Tensor conv3dWeightGrad(Tensor x, Tensor front, Tensor g, int[] weightShape, Conv3d.Geometry geo);

    /** The gradient of the bias {@code [Cout]} ({@link Conv3dBackward#bias}). */
    Tensor conv3dBiasGrad(Tensor g);

    /** Group norm with its fused modulation and SiLU into {@code out}, which may be {@code x} ({@link GroupNorm#forward}). */
    void groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, float eps, GroupNorm.Modulation mod, boolean silu, Tensor out);

    /** The gradients of {@link #groupNorm} ({@link GroupNormBackward#backward}). */
    GroupNormBackward.Grads groupNormBackward(Tensor x, int groups, Tensor weight, Tensor bias, float eps, GroupNorm.Modulation mod,
                                              boolean silu, Tensor g);

    /** Layer norm over the last dimension; {@code w} and {@code b} may be null ({@link Norms#layerNorm}). */
    Tensor layerNorm(Tensor x, Tensor w, Tensor b, float eps);

    /** T5's RMS norm over the last dimension ({@link Norms#rmsNorm}). */
    Tensor rmsNorm(Tensor x, Tensor w, float eps);
}
