package dev.cogvideox.tensor;

import java.util.Locale;

/**
 * Packed weight formats the matrix-product kernels read directly, dequantizing a slice of a row at a time.
 * {@link #INT8} is per output channel (one fp32 scale per row); the others are ggml's block formats, byte for
 * byte as llama.cpp and GGUF files hold them: 32 consecutive values along a row in one block with an fp16 scale
 * {@code d} (and an fp16 minimum {@code m} for Q4_1).
 */
public enum QuantFormat {
    /** int8 per output channel: {@code x = q * scale[row]}, q in [-127, 127]. */
    INT8(1, 1),
    /** ggml Q8_0: fp16 d, 32 int8; {@code x = q * d}. */
    Q8_0(32, 2 + 32),
    /** ggml Q4_0: fp16 d, 16 bytes of nibbles (low nibbles values 0..15, high nibbles 16..31); {@code x = (q - 8) * d}. */
    Q4_0(32, 2 + 16),
    /** ggml Q4_1: fp16 d, fp16 m, 16 bytes of nibbles; {@code x = q * d + m}. */
    Q4_1(32, 2 + 2 + 16);

    private final int blockSize;
    private final int blockBytes;

    QuantFormat(int blockSize, int blockBytes) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** Values per block (1 for the per-row INT8). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block (for INT8, per value; the row scales come on top). */
    public int blockBytes() {
        return blockBytes;
    }

    /** Bytes of one packed row of {@code cols} values (a partial last block is padded with zeros). */
    public long rowBytes(int cols) {
        return (long) (cols + blockSize - 1) / blockSize * blockBytes;
    }

    /** The format for an option value such as {@code int8} or {@code q4} (Q4_0), or an error listing the choices. */
    public static QuantFormat parse(String option, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "int8" -> INT8;
            case "q8", "q8_0" -> Q8_0;
            case "q4", "q4_0" -> Q4_0;
            case "q4_1" -> Q4_1;
            default -> throw new IllegalArgumentException(option + " must be int8, q8_0, q4 (q4_0) or q4_1, not " + value);
        };
    }
}
