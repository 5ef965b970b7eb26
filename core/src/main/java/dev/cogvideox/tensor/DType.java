package dev.cogvideox.tensor;

/** Element types of stored tensors, with their safetensors names and byte sizes. */
public enum DType {
    F32(4), F16(2), BF16(2), I64(8), I32(4), F64(8), U8(1), BOOL(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** True for the dtypes a weight may have: the kernels widen these to fp32. */
    public boolean isFloatWeight() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** The dtype for a safetensors header string such as {@code "BF16"}, or null when unknown. */
    public static DType fromSafetensors(String name) {
        for (DType d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }

    /** fp32 to bf16 bits with round-to-nearest-even (NaN stays NaN), as PyTorch's {@code .to(torch.bfloat16)}. */
    public static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
