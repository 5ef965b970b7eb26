/**
 * Dense tensors and the kernels that compute on them (the only layer that knows about SIMD and threads).
 *
 * <p>Layout convention: every {@link dev.cogvideox.tensor.Tensor} is contiguous, row-major, in PyTorch
 * dimension order; activations are fp32 on the heap. Stored weights ({@link dev.cogvideox.tensor.Weight})
 * keep their file dtype (F32, F16, BF16) inside a memory segment and are widened inside the kernels.
 *
 * <p>Other packages compute through {@link dev.cogvideox.tensor.Kernels} (the Java provider calls this package's
 * static kernels, which are package-private); only the element-wise and layout helpers are called directly.
 */
package dev.cogvideox.tensor;
