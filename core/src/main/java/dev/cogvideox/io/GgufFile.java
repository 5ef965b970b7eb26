package dev.cogvideox.io;

import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.QuantizedMatrix;
import dev.cogvideox.tensor.Shapes;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One GGUF file (versions 2 and 3, little-endian), memory-mapped whole: the header, the metadata key/value pairs,
 * the tensor infos and the aligned tensor data. Tensors of type F32, F16 and BF16 read as float weights; Q8_0,
 * Q4_0 and Q4_1 matrices as {@link QuantizedMatrix} over the mapped blocks (nothing is dequantized on load; a
 * quantized tensor of another rank is dequantized to the heap, for the few small ones such as a conv kernel).
 * Dimensions are stored fastest first ({@code ne0} = columns), so a shape is their reverse.
 *
 * <p>Names: the diffusers names as stored (ComfyUI-GGUF's converter keeps the source file's state-dict keys), with
 * ComfyUI's {@code model.diffusion_model.} prefix dropped if there is one.
 */
public final class GgufFile implements WeightStore {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MAGIC = 0x46554747;   // "GGUF" read as a little-endian int
    private static final String COMFY_PREFIX = "model.diffusion_model.";
    /** ggml type ids by name, for messages: every type the format defines, read or not. */
    private static final Map<Integer, String> TYPE_NAMES = Map.ofEntries(Map.entry(0, "F32"), Map.entry(1, "F16"), Map.entry(2, "Q4_0"),
            Map.entry(3, "Q4_1"), Map.entry(6, "Q5_0"), Map.entry(7, "Q5_1"), Map.entry(8, "Q8_0"), Map.entry(9, "Q8_1"),
            Map.entry(10, "Q2_K"), Map.entry(11, "Q3_K"), Map.entry(12, "Q4_K"), Map.entry(13, "Q5_K"), Map.entry(14, "Q6_K"),
            Map.entry(15, "Q8_K"), Map.entry(24, "I8"), Map.entry(25, "I16"), Map.entry(26, "I32"), Map.entry(27, "I64"),
            Map.entry(28, "F64"), Map.entry(30, "BF16"));
    private static final String SUPPORTED = "F32, F16, BF16, Q8_0, Q4_0, Q4_1";

    /** A tensor: its entry (dtype U8 with the logical shape for the block formats) and its block format, or null. */
    private record Info(SafetensorsFile.Entry entry, QuantFormat format) {
    }

    private final Path path;
    private final Arena arena;
    private final Map<String, Info> tensors;
    private final Map<String, Object> metadata;

    private GgufFile(Path path, Arena arena, Map<String, Info> tensors, Map<String, Object> metadata) {
        this.path = path;
        this.arena = arena;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Reads the header and every tensor info, checking each tensor's type, shape and byte range. */
    public static GgufFile open(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new ModelFormatException(path + ": no such file");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            Cursor c = new Cursor(path, all);
            if (all.byteSize() < 4 || c.i32() != MAGIC) {
                throw new ModelFormatException(path + ": not a GGUF file (it does not start with the bytes 'GGUF')");
            }
            int version = c.i32();
            if (version != 2 && version != 3) {
                throw new ModelFormatException(path + ": GGUF version " + version + ", this reader reads versions 2 and 3");
            }
            long tensorCount = c.count("tensor count");
            long kvCount = c.count("metadata count");
            Map<String, Object> meta = new LinkedHashMap<>();
            for (long i = 0; i < kvCount; i++) {
                String key = c.string();
                meta.put(key, c.value(c.i32(), key));
            }
            long alignment = 32;
            if (meta.get("general.alignment") instanceof Number a) {
                alignment = a.longValue();
                if (alignment <= 0 || Long.bitCount(alignment) != 1) {
                    throw new ModelFormatException(path + ": general.alignment " + alignment + " is not a power of two");
                }
            }
            record Raw(String name, long[] ne, int type, long offset) {
            }
            Raw[] raws = new Raw[(int) tensorCount];
            for (int i = 0; i < tensorCount; i++) {
                String name = c.string();
                int dims = c.i32();
                if (dims < 1 || dims > 4) {
                    throw new ModelFormatException(path + ": tensor " + name + " has " + dims + " dimensions (GGUF allows 1 to 4)");
                }
                long[] ne = new long[dims];
                for (int d = 0; d < dims; d++) {
                    ne[d] = c.i64();
                    if (ne[d] <= 0 || ne[d] > Integer.MAX_VALUE) {
                        throw new ModelFormatException(path + ": tensor " + name + " has dimension " + ne[d]);
                    }
                }
                raws[i] = new Raw(name, ne, c.i32(), c.i64());
            }
            long dataStart = (c.pos + alignment - 1) / alignment * alignment;
            Map<String, Info> tensors = new LinkedHashMap<>();
            for (Raw r : raws) {
                int[] shape = new int[r.ne.length];
                for (int d = 0; d < shape.length; d++) {
                    shape[d] = (int) r.ne[shape.length - 1 - d];
                }
                String typeName = TYPE_NAMES.getOrDefault(r.type, "unknown");
                DType dtype = switch (r.type) {
                    case 0 -> DType.F32;
                    case 1 -> DType.F16;
                    case 30 -> DType.BF16;
                    default -> null;
                };
                QuantFormat format = switch (r.type) {
                    case 2 -> QuantFormat.Q4_0;
                    case 3 -> QuantFormat.Q4_1;
                    case 8 -> QuantFormat.Q8_0;
                    default -> null;
                };
                if (dtype == null && format == null) {
                    throw new ModelFormatException(path + ": tensor " + r.name + " has ggml type " + r.type + " (" + typeName
                            + "), which this reader does not read (it reads " + SUPPORTED + "); convert the file to one of those");
                }
                long numel = Shapes.numel(shape);
                long bytes;
                if (format != null) {
                    if (r.ne[0] % format.blockSize() != 0) {
                        throw new ModelFormatException(path + ": tensor " + r.name + " (" + typeName + ") has rows of " + r.ne[0]
                                + " values, not whole blocks of " + format.blockSize());
                    }
                    bytes = numel / r.ne[0] * format.rowBytes((int) r.ne[0]);
                } else {
                    bytes = numel * dtype.bytes();
                }
                if (r.offset % alignment != 0) {
                    throw new ModelFormatException(path + ": tensor " + r.name + " starts at data offset " + r.offset
                            + ", not a multiple of the alignment " + alignment);
                }
                long begin = dataStart + r.offset;
                if (r.offset < 0 || begin + bytes > all.byteSize()) {
                    throw new ModelFormatException(path + ": tensor " + r.name + " (" + typeName + " " + Shapes.str(shape) + ", " + bytes
                            + " bytes at " + begin + ") runs past the end of the " + all.byteSize() + "-byte file (truncated?)");
                }
                String name = r.name.startsWith(COMFY_PREFIX) ? r.name.substring(COMFY_PREFIX.length()) : r.name;
                SafetensorsFile.Entry e = new SafetensorsFile.Entry(path.toString(), name, dtype != null ? dtype : DType.U8, shape,
                        all.asSlice(begin, bytes));
                if (tensors.put(name, new Info(e, format)) != null) {
                    throw new ModelFormatException(path + ": tensor " + name + " appears twice");
                }
            }
            return new GgufFile(path, arena, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(meta));
        } catch (IOException e) {
            arena.close();
            throw new ModelFormatException(path + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The metadata key/value pairs (numbers, booleans, strings, and lists of them). */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /** The block format of a tensor, or null when it is stored as floats. */
    public QuantFormat format(String name) {
        return info(name).format;
    }

    private Info info(String name) {
        Info i = tensors.get(name);
        if (i == null) {
            throw new ModelFormatException(path + ": no tensor " + name);
        }
        return i;
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public SafetensorsFile.Entry entry(String name) {
        return info(name).entry;
    }

    @Override
    public String source() {
        return path.toString();
    }

    @Override
    public Weight weight(String name) {
        Info i = info(name);
        if (i.format == null) {
            return i.entry.weight();
        }
        int[] shape = i.entry.shape();
        int cols = shape[shape.length - 1];
        int rows = (int) (Shapes.numel(shape) / cols);
        Weight q = Weight.quantized(name, QuantizedMatrix.ofBlocks(i.format, rows, cols, i.entry.bytes()));
        return shape.length == 2 ? q : Weight.of(name, q.toTensor().reshape(shape));
    }

    @Override
    public void close() {
        arena.close();
    }

    /** Reads little-endian values in order, naming the file and the offset when one runs past the end. */
    private static final class Cursor {
        private final Path path;
        private final MemorySegment seg;
        long pos;

        Cursor(Path path, MemorySegment seg) {
            this.path = path;
            this.seg = seg;
        }

        private void need(long n, String what) {
            if (pos + n > seg.byteSize() || n < 0) {
                throw new ModelFormatException(path + ": truncated GGUF header: " + what + " at byte " + pos + " runs past the end of the "
                        + seg.byteSize() + "-byte file");
            }
        }

        int i32() {
            need(4, "a 32-bit value");
            int v = seg.get(I32, pos);
            pos += 4;
            return v;
        }

        long i64() {
            need(8, "a 64-bit value");
            long v = seg.get(I64, pos);
            pos += 8;
            return v;
        }

        long count(String what) {
            long n = i64();
            if (n < 0 || n > seg.byteSize()) {
                throw new ModelFormatException(path + ": " + what + " " + Long.toUnsignedString(n) + " cannot fit a " + seg.byteSize() + "-byte file");
            }
            return n;
        }

        String string() {
            long n = i64();
            need(n, "a string of " + n + " bytes");
            String s = new String(seg.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            pos += n;
            return s;
        }

        Object value(int type, String key) {
            return switch (type) {
                case 0, 1 -> {
                    need(1, key);
                    byte b = seg.get(ValueLayout.JAVA_BYTE, pos++);
                    yield type == 0 ? (Object) (b & 0xff) : (Object) (int) b;
                }
                case 2, 3 -> {
                    need(2, key);
                    short s = seg.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pos);
                    pos += 2;
                    yield type == 2 ? (Object) (s & 0xffff) : (Object) (int) s;
                }
                case 4 -> i32() & 0xffffffffL;
                case 5 -> i32();
                case 6 -> Float.intBitsToFloat(i32());
                case 7 -> {
                    need(1, key);
                    yield seg.get(ValueLayout.JAVA_BYTE, pos++) != 0;
                }
                case 8 -> string();
                case 9 -> {
                    int itemType = i32();
                    long n = count(key + " list length");
                    java.util.List<Object> items = new java.util.ArrayList<>();
                    for (long i = 0; i < n; i++) {
                        items.add(value(itemType, key));
                    }
                    yield items;
                }
                case 10, 11 -> i64();
                case 12 -> Double.longBitsToDouble(i64());
                default -> throw new ModelFormatException(path + ": metadata " + key + " has value type " + type + ", which GGUF does not define");
            };
        }
    }
}
