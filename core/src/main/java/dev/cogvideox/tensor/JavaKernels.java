package dev.cogvideox.tensor;

/**
 * The pure-Java {@link Kernels}: each method calls the static kernel of this package it names, nothing else (so
 * {@code bench/run-ab.sh} can put another revision's kernels behind it).
 */
final class JavaKernels implements Kernels {
    static final JavaKernels INSTANCE = new JavaKernels();

    private JavaKernels() {
    }

    @Override
    public void gemm(float[] a, int aOff, int m, int k, Weight w, float[] bias, float[] c, int cOff) {
        MatMul.gemm(a, aOff, m, k, w, bias, c, cOff);
    }

    @Override
    public void product(float[] a, boolean aTransposed, float[] b, boolean bTransposed, int m, int n, int k, float[] c) {
        MatMul.product(a, aTransposed, b, bTransposed, m, n, k, c);
    }

    @Override
    public Tensor attend(Tensor q, Tensor k, Tensor v, int heads, float scale, Tensor bias, Attention.KeySelection keys) {
        return Attention.attend(q, k, v, heads, scale, bias, keys);
    }

    @Override
    public Tensor conv3d(Tensor x, Tensor front, Weight w, float[] bias, Conv3d.Geometry g) {
        return Conv3d.forward(x, front, w, bias, g);
    }

    @Override
    public void conv3dAccumulate(Tensor x, Tensor front, Weight w, float[] bias, Conv3d.Geometry g, Tensor out) {
        Conv3d.accumulate(x, front, w, bias, g, out);
    }

    @Override
    public Tensor conv3dInPlace(Tensor x, Tensor front, Weight w, float[] bias, Conv3d.Geometry g) {
        return Conv3d.inPlace(x, front, w, bias, g);
    }

    @Override
    public Tensor conv3dInputGrad(Tensor g, Weight w, Conv3d.Geometry geo, int frames, int h, int width) {
        return Conv3dBackward.input(g, w, geo, frames, h, width);
    }

    @Override
    public Tensor conv3dWeightGrad(Tensor x, Tensor front, Tensor g, int[] weightShape, Conv3d.Geometry geo) {
        return Conv3dBackward.weight(x, front, g, weightShape, geo);
    }

    @Override
    public Tensor conv3dBiasGrad(Tensor g) {
        return Conv3dBackward.bias(g);
    }

    @Override
    public void groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, float eps, GroupNorm.Modulation mod, boolean silu, Tensor out) {
        GroupNorm.forward(x, groups, weight, bias, eps, mod, silu, out);
    }

    @Override
    public GroupNormBackward.Grads groupNormBackward(Tensor x, int groups, Tensor weight, Tensor bias, float eps, GroupNorm.Modulation mod,
                                                     boolean silu, Tensor g) {
        return GroupNormBackward.backward(x, groups, weight, bias, eps, mod, silu, g);
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor w, Tensor b, float eps) {
        return Norms.layerNorm(x, w, b, eps);
    }

    @Override
    public Tensor rmsNorm(Tensor x, Tensor w, float eps) {
        return Norms.rmsNorm(x, w, eps);
    }

    @Override
    public String toString() {
        return "java";
    }
}
