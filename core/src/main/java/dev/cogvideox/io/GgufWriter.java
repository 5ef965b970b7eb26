package dev.cogvideox.io;

import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.progress.ProgressUnit;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.Shapes;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Writes a GGUF file (version 3, little-endian) as {@link GgufFile} reads it and as llama.cpp's gguf-py lays it out:
 * the header, the metadata pairs in the order they were put, the tensor infos in the order the tensors were added
 * (dimensions fastest first, offsets relative to the data), zeros up to the alignment, then each tensor's bytes
 * followed by zeros up to the alignment. Only the infos are kept until {@link #write}: each tensor's bytes are asked
 * of its {@link Source} when the writer reaches it, so a model never sits on the heap whole. The file is written
 * under a temporary name and renamed into place.
 */
public final class GgufWriter {
    /** The alignment of the tensor data when {@code general.alignment} is not given (GGUF's default). */
    public static final int DEFAULT_ALIGNMENT = 32;
    /** {@code general.architecture} of the files this project writes, which {@link WeightStore#open} checks for. */
    public static final String ARCHITECTURE = "cogvideox";
    private static final int MAGIC = 0x46554747;   // "GGUF" as a little-endian uint32
    private static final int VERSION = 3;
    private static final int TYPE_UINT32 = 4, TYPE_STRING = 8;
    private static final int CHUNK = 16 << 20;

    /** The bytes of one tensor in its ggml layout, asked for when the writer reaches the tensor. */
    public interface Source {
        MemorySegment bytes();

        /** Called once the bytes are written (to drop a mapped file's pages, or let a heap copy go). */
        default void written() {
        }
    }

    private record Kv(String key, int type, Object value) {
    }

    private record Item(String name, int[] shape, int ggmlType, String typeName, long bytes, Source source) {
    }

    private final List<Kv> metadata = new ArrayList<>();
    private final Set<String> keys = new HashSet<>();
    private final List<Item> items = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private int alignment = DEFAULT_ALIGNMENT;

    /** A writer whose first metadata pair is {@code general.architecture} (as gguf-py's). */
    public GgufWriter(String architecture) {
        putString("general.architecture", architecture);
    }

    public GgufWriter putString(String key, String value) {
        return put(new Kv(key, TYPE_STRING, value));
    }

    public GgufWriter putUInt32(String key, long value) {
        if (value < 0 || value > 0xffffffffL) {
            throw new IllegalArgumentException("metadata " + key + ": " + value + " is not a uint32");
        }
        return put(new Kv(key, TYPE_UINT32, value));
    }

    /** A data alignment other than 32 bytes, recorded as {@code general.alignment} (a power of two). */
    public GgufWriter alignment(int bytes) {
        if (bytes <= 0 || Integer.bitCount(bytes) != 1) {
            throw new IllegalArgumentException("GGUF alignment must be a power of two, not " + bytes);
        }
        alignment = bytes;
        return putUInt32("general.alignment", bytes);
    }

    private GgufWriter put(Kv kv) {
        if (!keys.add(kv.key())) {
            throw new IllegalArgumentException("metadata " + kv.key() + " given twice");
        }
        metadata.add(kv);
        return this;
    }

    /** A float tensor stored as {@code dtype} (F32, F16 or BF16), its bytes as a safetensors file holds them. */
    public GgufWriter add(String name, DType dtype, int[] shape, Source source) {
        int type = switch (dtype) {
            case F32 -> 0;
            case F16 -> 1;
            case BF16 -> 30;
            default -> throw new IllegalArgumentException("tensor " + name + ": GGUF float tensors are F32, F16 or BF16, not " + dtype);
        };
        return add(new Item(name, checkShape(name, shape), type, dtype.name(), Shapes.numel(shape) * dtype.bytes(), source));
    }

    /** A tensor of ggml blocks (Q8_0, Q4_0, Q4_1): its last dimension must be whole blocks of 32 values. */
    public GgufWriter addBlocks(String name, QuantFormat format, int[] shape, Source source) {
        int type = switch (format) {
            case Q4_0 -> 2;
            case Q4_1 -> 3;
            case Q8_0 -> 8;
            case INT8 -> throw new IllegalArgumentException("tensor " + name + ": GGUF has no int8-per-row type (its 8-bit type is Q8_0)");
        };
        checkShape(name, shape);
        int cols = shape[shape.length - 1];
        if (cols % format.blockSize() != 0) {
            throw new IllegalArgumentException("tensor " + name + " " + Shapes.str(shape) + ": rows of " + cols + " values are not whole "
                    + format + " blocks of " + format.blockSize());
        }
        return add(new Item(name, shape.clone(), type, format.name(), Shapes.numel(shape) / cols * format.rowBytes(cols), source));
    }

    private static int[] checkShape(String name, int[] shape) {
        if (shape.length < 1 || shape.length > 4) {
            throw new IllegalArgumentException("tensor " + name + " " + Shapes.str(shape) + " has " + shape.length
                    + " dimensions; a GGUF tensor has 1 to 4");
        }
        return shape.clone();
    }

    private GgufWriter add(Item it) {
        if (!names.add(it.name())) {
            throw new IllegalArgumentException("tensor " + it.name() + " added twice");
        }
        items.add(it);
        return this;
    }

    /** Bytes of tensor data (without padding). */
    public long dataBytes() {
        return items.stream().mapToLong(Item::bytes).sum();
    }

    /** {@link #write(Path, String, ProgressListener, CancellationToken)} that cannot be cancelled. */
    public long write(Path target, String task, ProgressListener progress) {
        return write(target, task, progress, CancellationToken.NONE);
    }

    /**
     * Writes the file, reporting task {@code task} in bytes of tensor data and checking {@code cancel} between chunks
     * (a cancelled write leaves no file); returns its size in bytes.
     */
    public long write(Path target, String task, ProgressListener progress, CancellationToken cancel) {
        byte[] head = header();
        long[] size = new long[1];
        AtomicFile.write(target, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, ByteBuffer.wrap(head));
                long done = 0;
                progress.onStart(task, dataBytes(), ProgressUnit.BYTES);
                for (Item it : items) {
                    MemorySegment bytes = it.source().bytes();
                    if (bytes.byteSize() != it.bytes()) {
                        throw new IllegalStateException("tensor " + it.name() + " (" + it.typeName() + " " + Shapes.str(it.shape()) + "): "
                                + bytes.byteSize() + " bytes given, its type and shape take " + it.bytes());
                    }
                    for (long off = 0; off < bytes.byteSize(); off += CHUNK) {
                        cancel.throwIfCancelled();
                        long n = Math.min(CHUNK, bytes.byteSize() - off);
                        writeFully(ch, bytes.asSlice(off, n).asByteBuffer());
                        progress.onProgress(done + off + n);
                    }
                    done += it.bytes();
                    writeFully(ch, ByteBuffer.allocate((int) (pad(it.bytes()) - it.bytes())));
                    it.source().written();
                }
                progress.onEnd();
                size[0] = ch.size();
            }
        });
        return size[0];
    }

    /** Magic, version, counts, metadata, tensor infos and the zeros up to the data. */
    private byte[] header() {
        Out o = new Out();
        o.u32(MAGIC).u32(VERSION).u64(items.size()).u64(metadata.size());
        for (Kv kv : metadata) {
            o.string(kv.key()).u32(kv.type());
            if (kv.type() == TYPE_STRING) {
                o.string((String) kv.value());
            } else {
                o.u32((int) (long) (Long) kv.value());
            }
        }
        long offset = 0;
        for (Item it : items) {
            o.string(it.name()).u32(it.shape().length);
            for (int d = it.shape().length - 1; d >= 0; d--) {
                o.u64(it.shape()[d]);
            }
            o.u32(it.ggmlType()).u64(offset);
            offset += pad(it.bytes());
        }
        while (o.size() % alignment != 0) {
            o.write(0);
        }
        return o.toByteArray();
    }

    private long pad(long n) {
        return (n + alignment - 1) / alignment * alignment;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Little-endian values into a growing byte array. */
    private static final class Out extends ByteArrayOutputStream {
        Out u32(int v) {
            for (int i = 0; i < 4; i++) {
                write(v >>> 8 * i);
            }
            return this;
        }

        Out u64(long v) {
            for (int i = 0; i < 8; i++) {
                write((int) (v >>> 8 * i));
            }
            return this;
        }

        Out string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            write(b, 0, b.length);
            return this;
        }
    }
}
