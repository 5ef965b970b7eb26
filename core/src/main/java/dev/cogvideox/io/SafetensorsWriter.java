package dev.cogvideox.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Shapes;
import dev.cogvideox.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file atomically (temporary file in the same folder, then rename), streaming each
 * tensor's bytes through a small buffer so multi-gigabyte files never sit on the heap.
 */
public final class SafetensorsWriter {
    /** Produces the elements of one tensor as fp32 values, {@code count} at a time from flat index {@code from}. */
    @FunctionalInterface
    public interface FloatSource {
        void fill(long from, float[] dst, int count);
    }

    private record Item(String name, DType dtype, int[] shape, FloatSource floats, long[] longs) {
        long bytes() {
            return Shapes.numel(Shapes.toLong(shape)) * dtype.bytes();
        }
    }

    private final List<Item> items = new ArrayList<>();
    private final Map<String, String> metadata;

    public SafetensorsWriter(Map<String, String> metadata) {
        this.metadata = metadata;
    }

    /** Adds a float tensor stored as {@code dtype} (F32, F16 or BF16; BF16 rounds to nearest even). */
    public SafetensorsWriter add(String name, DType dtype, int[] shape, FloatSource source) {
        if (!dtype.isFloatWeight()) {
            throw new IllegalArgumentException(name + ": cannot write float data as " + dtype);
        }
        items.add(new Item(name, dtype, shape.clone(), source, null));
        return this;
    }

    public SafetensorsWriter add(String name, DType dtype, Tensor t) {
        float[] d = t.data();
        return add(name, dtype, t.shape(), (from, dst, n) -> System.arraycopy(d, (int) from, dst, 0, n));
    }

    public SafetensorsWriter addLongs(String name, int[] shape, long[] values) {
        items.add(new Item(name, DType.I64, shape.clone(), null, values.clone()));
        return this;
    }

    public void write(Path target) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Item it : items) {
            ObjectNode e = header.putObject(it.name());
            e.put("dtype", it.dtype().name());
            var shape = e.putArray("shape");
            for (int d : it.shape()) {
                shape.add(d);
            }
            var off = e.putArray("data_offsets");
            off.add(offset);
            off.add(offset + it.bytes());
            offset += it.bytes();
        }
        byte[] headerBytes;
        try {
            headerBytes = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        int padded = (headerBytes.length + 7) / 8 * 8;
        AtomicFile.write(target, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
                head.putLong(padded).put(headerBytes);
                while (head.hasRemaining()) {
                    head.put((byte) ' ');
                }
                writeFully(ch, head.flip());
                for (Item it : items) {
                    writeItem(ch, it);
                }
            }
        });
    }

    private static void writeItem(FileChannel ch, Item it) throws IOException {
        long n = Shapes.numel(Shapes.toLong(it.shape()));
        int chunk = 1 << 16;
        ByteBuffer buf = ByteBuffer.allocate(chunk * 8).order(ByteOrder.LITTLE_ENDIAN);
        float[] tmp = new float[chunk];
        for (long from = 0; from < n; from += chunk) {
            int count = (int) Math.min(chunk, n - from);
            buf.clear();
            if (it.dtype() == DType.I64) {
                for (int i = 0; i < count; i++) {
                    buf.putLong(it.longs()[(int) (from + i)]);
                }
            } else {
                it.floats().fill(from, tmp, count);
                for (int i = 0; i < count; i++) {
                    switch (it.dtype()) {
                        case F32 -> buf.putFloat(tmp[i]);
                        case F16 -> buf.putShort(Float.floatToFloat16(tmp[i]));
                        case BF16 -> buf.putShort(DType.toBf16(tmp[i]));
                        default -> throw new IllegalStateException(it.dtype().name());
                    }
                }
            }
            writeFully(ch, buf.flip());
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
