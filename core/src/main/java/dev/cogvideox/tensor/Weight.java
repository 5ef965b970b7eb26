package dev.cogvideox.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A stored tensor (usually a model weight) that keeps its file dtype: F32, F16 or BF16 little-endian,
 * inside a memory segment that is either a slice of a memory-mapped file or a heap array. Kernels widen
 * it to fp32 tile by tile; {@link #toTensor()} copies it onto the heap (for small tensors only).
 *
 * <p>Ownership: the segment belongs to whoever mapped it (a {@code SafetensorsFile}); a Weight must not be
 * used after that file is closed.
 */
public final class Weight {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** As many 16-bit lanes as F has floats: one load of half-width bits widens to one float vector. */
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));

    private final String name;
    private final DType dtype;
    private final int[] shape;
    private final long numel;
    private final MemorySegment segment;
    /**
     * Whether bf16 widens on the Vector API: only from native segments (memory maps), where C2 intrinsifies the
     * 16-bit loads. From a byte[] heap segment the load intrinsic fails and the API's fallback allocates per vector
     * (seen in a GEMM profile as ShortVector.ldLongOp), so heap segments take the scalar loop.
     */
    private final boolean vectorReadable;
    /** Packed blocks the kernels dequantize slice by slice, or null for a float weight. */
    private final QuantizedMatrix quantized;

    public Weight(String name, DType dtype, int[] shape, MemorySegment segment) {
        if (!dtype.isFloatWeight()) {
            throw new IllegalArgumentException(name + ": dtype " + dtype + " is not a floating-point weight type (F32, F16, BF16)");
        }
        this.name = name;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.numel = Shapes.numel(shape);
        if (segment.byteSize() != numel * dtype.bytes()) {
            throw new IllegalArgumentException(name + ": " + segment.byteSize() + " bytes do not hold shape " + Shapes.str(shape) + " of " + dtype);
        }
        this.segment = segment;
        this.vectorReadable = segment.isNative();
        this.quantized = null;
    }

    private Weight(String name, QuantizedMatrix q) {
        this.name = name;
        this.dtype = DType.F32;
        this.shape = new int[] {q.rows(), q.cols()};
        this.numel = (long) q.rows() * q.cols();
        this.segment = null;
        this.vectorReadable = false;
        this.quantized = q;
    }

    /** A quantized matrix {@code [rows, cols]}: {@link #widen} and {@link #get} dequantize; {@link #dtype} reads F32. */
    public static Weight quantized(String name, QuantizedMatrix q) {
        return new Weight(name, q);
    }

    /** This matrix quantized to {@code format} (a heap copy of the packed blocks). */
    public Weight quantize(QuantFormat format) {
        return new Weight(name, QuantizedMatrix.quantize(this, format));
    }

    /** The packed format, or null for a float weight. */
    public QuantFormat quantFormat() {
        return quantized == null ? null : quantized.format();
    }

    /** An F32 weight over a heap tensor (no copy). */
    public static Weight of(String name, Tensor t) {
        return new Weight(name, DType.F32, t.shape(), MemorySegment.ofArray(t.data()));
    }

    public String name() {
        return name;
    }

    public DType dtype() {
        return dtype;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int dim(int d) {
        return shape[d < 0 ? shape.length + d : d];
    }

    public int rank() {
        return shape.length;
    }

    public long numel() {
        return numel;
    }

    /** The stored bytes of a float weight (a quantized one has none in this sense: see {@link #byteSize}). */
    public MemorySegment segment() {
        if (quantized != null) {
            throw new IllegalStateException(name + " is quantized (" + quantized.format() + "); read it through widen()");
        }
        return segment;
    }

    /** Bytes held: the stored tensor, or the packed blocks and scales of a quantized one. */
    public long byteSize() {
        return quantized != null ? quantized.byteSize() : segment.byteSize();
    }

    /** The same bytes under another shape with the same element count (e.g. a conv kernel seen as a matrix). */
    public Weight reshape(int... newShape) {
        if (Shapes.numel(newShape) != numel) {
            throw new IllegalArgumentException(name + ": cannot view " + Shapes.str(shape) + " as " + Shapes.str(newShape));
        }
        if (quantized != null) {
            if (java.util.Arrays.equals(newShape, shape)) {
                return this;
            }
            throw new IllegalArgumentException(name + ": a quantized " + Shapes.str(shape) + " matrix cannot be viewed as " + Shapes.str(newShape));
        }
        return new Weight(name, dtype, newShape, segment);
    }

    /** Element {@code i} (flat index) widened to fp32. */
    public float get(long i) {
        if (quantized != null) {
            float[] one = new float[1];
            widen(i, one, 0, 1);
            return one[0];
        }
        return switch (dtype) {
            case F32 -> segment.getAtIndex(F32, i);
            case BF16 -> Float.intBitsToFloat((segment.getAtIndex(U16, i) & 0xffff) << 16);
            case F16 -> Float.float16ToFloat(segment.getAtIndex(U16, i));
            default -> throw new IllegalStateException(dtype.name());
        };
    }

    /** Widens {@code n} elements starting at flat index {@code from} into {@code dst[dstOff..]}. */
    public void widen(long from, float[] dst, int dstOff, int n) {
        if (from < 0 || n < 0 || from + n > numel) {
            throw new IndexOutOfBoundsException(name + ": range [" + from + ", " + (from + n) + ") outside " + numel + " elements");
        }
        if (quantized != null) {
            // row by row: a row's slice is what the matrix product asks for, a range over rows what toTensor asks for
            int cols = quantized.cols();
            while (n > 0) {
                int row = (int) (from / cols), c = (int) (from % cols);
                int count = Math.min(n, cols - c);
                quantized.dequantize(row, c, dst, dstOff, count);
                from += count;
                dstOff += count;
                n -= count;
            }
            return;
        }
        switch (dtype) {
            case F32 -> MemorySegment.copy(segment, F32, from * 4, dst, dstOff, n);
            case BF16 -> {
                // bf16 is the upper half of the fp32 bits: 16-bit lanes sign-extended to int, shifted up by 16.
                int k = 0;
                if (vectorReadable) {
                    for (; k <= n - F.length(); k += F.length()) {
                        ((IntVector) ShortVector.fromMemorySegment(H, segment, (from + k) * 2, ByteOrder.LITTLE_ENDIAN)
                                .convertShape(VectorOperators.S2I, I, 0))
                                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, dstOff + k);
                    }
                }
                for (; k < n; k++) {
                    dst[dstOff + k] = Float.intBitsToFloat((segment.getAtIndex(U16, from + k) & 0xffff) << 16);
                }
            }
            case F16 -> {
                // Left to C2, which vectorises it: 0.085 ns per element measured, against 0.21 for a Vector API version
                // of the bit manipulation (normal, subnormal, inf/NaN cases blended).
                for (int k = 0; k < n; k++) {
                    dst[dstOff + k] = Float.float16ToFloat(segment.getAtIndex(U16, from + k));
                }
            }
            default -> throw new IllegalStateException(dtype.name());
        }
    }

    /** A heap fp32 copy with the same shape. Meant for small tensors (biases, norms, embeddings tables). */
    public Tensor toTensor() {
        if (numel > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(name + ": " + numel + " elements do not fit one heap array");
        }
        float[] out = new float[(int) numel];
        widen(0, out, 0, out.length);
        return Tensor.of(out, shape);
    }

    /** Throws an error naming this weight and both shapes when the shape differs from {@code expected}. */
    public Weight requireShape(int... expected) {
        if (!java.util.Arrays.equals(shape, expected)) {
            throw new IllegalArgumentException("weight " + name + ": expected shape " + Shapes.str(expected) + ", found " + Shapes.str(shape));
        }
        return this;
    }

    @Override
    public String toString() {
        return name + " " + (quantized != null ? quantized.format() : dtype) + Shapes.str(shape);
    }
}
