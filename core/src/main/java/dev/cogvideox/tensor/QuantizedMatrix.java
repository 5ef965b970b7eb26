package dev.cogvideox.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A matrix {@code [rows, cols]} held in a {@link QuantFormat}: row after row of packed blocks in one memory
 * segment (a heap array when quantized on load, a slice of a memory-mapped GGUF file otherwise), plus one fp32
 * scale per row for {@link QuantFormat#INT8}. {@link #dequantize} widens any slice of a row to fp32, which is
 * what the matrix product asks of a weight for each KC slice of the tile it packs: nothing is dequantized whole.
 */
public final class QuantizedMatrix {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int QK = 32;
    /** A byte's low and high nibble minus 8, as floats: one table load each instead of shifts and masks. */
    private static final float[] LOW = new float[256], HIGH = new float[256];

    static {
        for (int q = 0; q < 256; q++) {
            LOW[q] = (q & 15) - 8;
            HIGH[q] = (q >> 4) - 8;
        }
    }

    private final QuantFormat format;
    private final int rows;
    private final int cols;
    private final long rowBytes;
    private final MemorySegment data;
    /** INT8 only: the scale of each row; null for the block formats. */
    private final float[] rowScales;

    private QuantizedMatrix(QuantFormat format, int rows, int cols, MemorySegment data, float[] rowScales) {
        this.format = format;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = format.rowBytes(cols);
        if (data.byteSize() != rows * rowBytes) {
            throw new IllegalArgumentException(format + " [" + rows + ", " + cols + "]: needs " + rows * rowBytes + " bytes, got " + data.byteSize());
        }
        if ((format == QuantFormat.INT8) != (rowScales != null) || rowScales != null && rowScales.length != rows) {
            throw new IllegalArgumentException(format + ": row scales " + (rowScales == null ? "missing" : rowScales.length + " for " + rows + " rows"));
        }
        this.data = data;
        this.rowScales = rowScales;
    }

    /** Packed blocks already in ggml's layout (e.g. a GGUF tensor's bytes), rows of {@code ceil(cols / 32)} blocks. */
    public static QuantizedMatrix ofBlocks(QuantFormat format, int rows, int cols, MemorySegment blocks) {
        if (format == QuantFormat.INT8) {
            throw new IllegalArgumentException("INT8 needs its row scales");
        }
        return new QuantizedMatrix(format, rows, cols, blocks, null);
    }

    /** Quantizes a 2-D weight row by row (ggml's reference rounding for the block formats). */
    public static QuantizedMatrix quantize(Weight w, QuantFormat format) {
        if (w.rank() != 2) {
            throw new IllegalArgumentException(w.name() + ": only matrices are quantized, not " + Shapes.str(w.shape()));
        }
        int rows = w.dim(0), cols = w.dim(1);
        long rowBytes = format.rowBytes(cols);
        if (rows * rowBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(w.name() + ": " + rows * rowBytes + " packed bytes do not fit one heap array");
        }
        byte[] out = new byte[(int) (rows * rowBytes)];
        MemorySegment seg = MemorySegment.ofArray(out);
        float[] scales = format == QuantFormat.INT8 ? new float[rows] : null;
        float[] row = new float[(int) ((long) (cols + QK - 1) / QK * QK)];
        for (int r = 0; r < rows; r++) {
            w.widen((long) r * cols, row, 0, cols);
            java.util.Arrays.fill(row, cols, row.length, 0f);
            int base = (int) (r * rowBytes);
            switch (format) {
                case INT8 -> scales[r] = quantizeInt8(row, cols, out, base);
                case Q8_0, Q4_0, Q4_1 -> {
                    for (int b = 0; b * QK < cols; b++) {
                        quantizeBlock(format, row, b * QK, seg, base + (long) b * format.blockBytes());
                    }
                }
            }
        }
        return new QuantizedMatrix(format, rows, cols, seg, scales);
    }

    private static float quantizeInt8(float[] x, int n, byte[] out, int off) {
        float amax = 0f;
        for (int i = 0; i < n; i++) {
            amax = Math.max(amax, Math.abs(x[i]));
        }
        float scale = amax / 127f;
        float inv = scale == 0f ? 0f : 1f / scale;
        for (int i = 0; i < n; i++) {
            out[off + i] = (byte) Math.max(-127, Math.min(127, roundHalfAway(x[i] * inv)));
        }
        return scale;
    }

    /** One block of 32 values from {@code x[from..]} into {@code dst} at {@code off}, as ggml's quantize_row_*_ref. */
    private static void quantizeBlock(QuantFormat format, float[] x, int from, MemorySegment dst, long off) {
        switch (format) {
            case Q8_0 -> {
                float amax = 0f;
                for (int j = 0; j < QK; j++) {
                    amax = Math.max(amax, Math.abs(x[from + j]));
                }
                float d = amax / 127f;
                float id = d != 0f ? 1f / d : 0f;
                dst.set(U16, off, Float.floatToFloat16(d));
                for (int j = 0; j < QK; j++) {
                    dst.set(ValueLayout.JAVA_BYTE, off + 2 + j, (byte) roundHalfAway(x[from + j] * id));
                }
            }
            case Q4_0 -> {
                // d = the value of largest magnitude / -8, so that value is exactly -8 d
                float amax = 0f, max = 0f;
                for (int j = 0; j < QK; j++) {
                    float v = x[from + j];
                    if (Math.abs(v) > amax) {
                        amax = Math.abs(v);
                        max = v;
                    }
                }
                float d = max / -8f;
                float id = d != 0f ? 1f / d : 0f;
                dst.set(U16, off, Float.floatToFloat16(d));
                for (int j = 0; j < QK / 2; j++) {
                    int lo = Math.min(15, (int) (x[from + j] * id + 8.5f));
                    int hi = Math.min(15, (int) (x[from + QK / 2 + j] * id + 8.5f));
                    dst.set(ValueLayout.JAVA_BYTE, off + 2 + j, (byte) (lo | hi << 4));
                }
            }
            case Q4_1 -> {
                float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < QK; j++) {
                    min = Math.min(min, x[from + j]);
                    max = Math.max(max, x[from + j]);
                }
                float d = (max - min) / 15f;
                float id = d != 0f ? 1f / d : 0f;
                dst.set(U16, off, Float.floatToFloat16(d));
                dst.set(U16, off + 2, Float.floatToFloat16(min));
                for (int j = 0; j < QK / 2; j++) {
                    int lo = Math.min(15, (int) ((x[from + j] - min) * id + 0.5f));
                    int hi = Math.min(15, (int) ((x[from + QK / 2 + j] - min) * id + 0.5f));
                    dst.set(ValueLayout.JAVA_BYTE, off + 4 + j, (byte) (lo | hi << 4));
                }
            }
            default -> throw new IllegalStateException(format.name());
        }
    }

    /** C's roundf: halves away from zero (Math.round takes -2.5 to -2, roundf to -3). */
    private static int roundHalfAway(float v) {
        return (int) Math.copySign(Math.floor(Math.abs(v) + 0.5f), v);
    }

    public QuantFormat format() {
        return format;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** The packed rows of a block format, in ggml's layout (what a GGUF tensor holds); INT8 has no such layout. */
    public MemorySegment blocks() {
        if (format == QuantFormat.INT8) {
            throw new IllegalStateException("INT8 rows need their scales; they have no ggml block layout");
        }
        return data;
    }

    /** Packed bytes plus the row scales: what the matrix holds in memory. */
    public long byteSize() {
        return data.byteSize() + (rowScales == null ? 0 : 4L * rowScales.length);
    }

    /** Widens values {@code [from, from + n)} of row {@code row} into {@code dst[off..]}. */
    public void dequantize(int row, int from, float[] dst, int off, int n) {
        if (row < 0 || row >= rows || from < 0 || n < 0 || from + n > cols) {
            throw new IndexOutOfBoundsException("row " + row + " [" + from + ", " + (from + n) + ") outside [" + rows + ", " + cols + "]");
        }
        long base = row * rowBytes;
        if (format == QuantFormat.INT8) {
            float s = rowScales[row];
            for (int i = 0; i < n; i++) {
                dst[off + i] = data.get(ValueLayout.JAVA_BYTE, base + from + i) * s;
            }
            return;
        }
        int bb = format.blockBytes();
        int i = 0;
        while (i < n) {
            int c = from + i;
            int block = c / QK;
            int j0 = c - block * QK;
            int count = Math.min(QK - j0, n - i);
            long b = base + (long) block * bb;
            float d = Float.float16ToFloat(data.get(U16, b));
            int o = off + i - j0;                   // dst index of the block's value 0
            int end = j0 + count;
            switch (format) {
                case Q8_0 -> {
                    for (int j = j0; j < end; j++) {
                        dst[o + j] = data.get(ValueLayout.JAVA_BYTE, b + 2 + j) * d;
                    }
                }
                case Q4_0 -> {
                    // values 0..15 in the low nibbles of the 16 bytes, 16..31 in the high ones
                    if (count == QK) {
                        for (int j = 0; j < 16; j++) {
                            int q = data.get(ValueLayout.JAVA_BYTE, b + 2 + j) & 0xff;
                            dst[o + j] = LOW[q] * d;
                            dst[o + 16 + j] = HIGH[q] * d;
                        }
                        break;
                    }
                    for (int j = j0; j < Math.min(end, 16); j++) {
                        dst[o + j] = ((data.get(ValueLayout.JAVA_BYTE, b + 2 + j) & 15) - 8) * d;
                    }
                    for (int j = Math.max(j0, 16); j < end; j++) {
                        dst[o + j] = ((data.get(ValueLayout.JAVA_BYTE, b + 2 + j - 16) >> 4 & 15) - 8) * d;
                    }
                }
                case Q4_1 -> {
                    float m = Float.float16ToFloat(data.get(U16, b + 2));
                    if (count == QK) {
                        for (int j = 0; j < 16; j++) {
                            int q = data.get(ValueLayout.JAVA_BYTE, b + 4 + j) & 0xff;
                            dst[o + j] = (LOW[q] + 8) * d + m;
                            dst[o + 16 + j] = (HIGH[q] + 8) * d + m;
                        }
                        break;
                    }
                    for (int j = j0; j < Math.min(end, 16); j++) {
                        dst[o + j] = (data.get(ValueLayout.JAVA_BYTE, b + 4 + j) & 15) * d + m;
                    }
                    for (int j = Math.max(j0, 16); j < end; j++) {
                        dst[o + j] = (data.get(ValueLayout.JAVA_BYTE, b + 4 + j - 16) >> 4 & 15) * d + m;
                    }
                }
                default -> throw new IllegalStateException(format.name());
            }
            i += count;
        }
    }
}
