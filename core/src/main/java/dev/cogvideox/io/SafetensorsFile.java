package dev.cogvideox.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cogvideox.tensor.DType;
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
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One safetensors file, memory-mapped whole through {@code java.lang.foreign} (files over 2 GB included).
 * Nothing is copied onto the heap until a caller asks for a heap tensor. The header is checked completely
 * at open: its length, every dtype, every shape against its byte count, every offset range, overlaps.
 *
 * <p>Ownership: this object owns the mapping (a shared arena); {@link #close()} unmaps it, after which no
 * {@link Weight} from it may be used.
 */
public final class SafetensorsFile implements WeightStore {
    /** Duplicate tensor names are refused: which of two entries is meant would be a guess. */
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    /** Header size limit of the reference implementation (100 MB). */
    private static final long MAX_HEADER = 100L << 20;

    /** One tensor of the file: dtype, shape and its bytes inside the mapping. */
    public record Entry(String file, String name, DType dtype, int[] shape, MemorySegment bytes) {
        public long byteSize() {
            return bytes.byteSize();
        }

        public long numel() {
            return Shapes.numel(shape);
        }

        /** As a float weight (F32, F16, BF16), still in the mapping. */
        public Weight weight() {
            if (!dtype.isFloatWeight()) {
                throw new ModelFormatException(file + ": tensor " + name + " has dtype " + dtype + ", a float weight (F32, F16, BF16) was expected");
            }
            return new Weight(name, dtype, shape, bytes);
        }

        /** A heap fp32 copy (float dtypes only). */
        public Tensor toTensor() {
            return weight().toTensor();
        }

        /** The values of an I64 tensor. */
        public long[] longs() {
            if (dtype != DType.I64) {
                throw new ModelFormatException(file + ": tensor " + name + " has dtype " + dtype + ", I64 was expected");
            }
            return bytes.toArray(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
        }
    }

    private final Path path;
    private final Arena arena;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, Map<String, Entry> entries, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.entries = entries;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path) {
        if (java.nio.file.Files.isDirectory(path)) {
            throw new ModelFormatException(path + ": is a folder, expected a .safetensors file");
        }
        if (!java.nio.file.Files.exists(path)) {
            throw new ModelFormatException(path + ": no such file");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new ModelFormatException(path + ": " + size + " bytes is too short for a safetensors file (8-byte header length missing)");
            }
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLen = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (headerLen < 2 || headerLen > MAX_HEADER || 8 + headerLen > size) {
                throw new ModelFormatException(path + ": header length " + Long.toUnsignedString(headerLen) + " runs past the end of the "
                        + size + "-byte file (truncated or not a safetensors file)");
            }
            byte[] header = all.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment data = all.asSlice(8 + headerLen);
            JsonNode root;
            String text = JsonConfig.decodeUtf8(path + ": header", header);
            try {
                root = JSON.readTree(text);
            } catch (JsonProcessingException e) {
                String msg = e.getOriginalMessage() == null ? "syntax error" : e.getOriginalMessage().lines().findFirst().orElse("");
                throw new ModelFormatException(path + ": header is not valid JSON" + JsonConfig.where(e) + ": " + msg, e);
            }
            if (root == null || !root.isObject()) {
                throw new ModelFormatException(path + ": header is not a JSON object");
            }
            Map<String, String> meta = new LinkedHashMap<>();
            Map<String, Entry> entries = parseEntries(path, root, data, meta);
            return new SafetensorsFile(path, arena, entries, meta);
        } catch (IOException e) {
            arena.close();
            throw new ModelFormatException(path + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Map<String, Entry> parseEntries(Path path, JsonNode root, MemorySegment data, Map<String, String> meta) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();
        List<String> rangeNames = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            JsonNode info = f.getValue();
            if (name.equals("__metadata__")) {
                info.fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            String where = path + ": tensor " + name;
            DType dtype = DType.fromSafetensors(info.path("dtype").asText(""));
            if (dtype == null) {
                throw new ModelFormatException(where + ": unknown dtype '" + info.path("dtype").asText("") + "'");
            }
            JsonNode shapeNode = info.path("shape");
            JsonNode off = info.path("data_offsets");
            if (!shapeNode.isArray() || !off.isArray() || off.size() != 2) {
                throw new ModelFormatException(where + ": entry needs 'shape' and two 'data_offsets'");
            }
            int[] shape = new int[shapeNode.size()];
            long expected = dtype.bytes();
            for (int i = 0; i < shape.length; i++) {
                long d = integer(shapeNode.get(i));
                if (d < 0 || d > Integer.MAX_VALUE) {
                    throw new ModelFormatException(where + ": invalid dimension " + shapeNode.get(i) + " in shape " + shapeNode);
                }
                shape[i] = (int) d;
                expected = d != 0 && expected > Long.MAX_VALUE / d ? Long.MAX_VALUE : expected * d;   // saturates, never wraps
            }
            long begin = integer(off.get(0)), end = integer(off.get(1));
            if (begin < 0 || end < begin || end > data.byteSize()) {
                throw new ModelFormatException(where + ": data_offsets " + off + " out of range of the "
                        + data.byteSize() + "-byte data section (non-negative integers, begin <= end; file truncated?)");
            }
            if (end - begin != expected) {
                throw new ModelFormatException(where + ": shape " + Shapes.str(shape) + " of " + dtype + " needs "
                        + (expected == Long.MAX_VALUE ? "more" : String.valueOf(expected))
                        + " bytes but data_offsets give " + (end - begin));
            }
            entries.put(name, new Entry(path.toString(), name, dtype, shape, data.asSlice(begin, end - begin)));
            ranges.add(new long[]{begin, end});
            rangeNames.add(name);
        }
        checkOverlaps(path, ranges, rangeNames);
        return Collections.unmodifiableMap(entries);
    }

    /** A JSON integer's value, or -1 for anything else (1.5, "3", true, 1e30), which the callers refuse. */
    private static long integer(JsonNode n) {
        return n != null && n.isIntegralNumber() && n.canConvertToLong() ? n.longValue() : -1;
    }

    private static void checkOverlaps(Path path, List<long[]> ranges, List<String> names) {
        Integer[] order = new Integer[ranges.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, Comparator.comparingLong(i -> ranges.get(i)[0]));
        for (int i = 1; i < order.length; i++) {
            long[] prev = ranges.get(order[i - 1]), cur = ranges.get(order[i]);
            if (cur[0] < prev[1] && cur[1] > cur[0]) {
                throw new ModelFormatException(path + ": tensors " + names.get(order[i - 1]) + " " + java.util.Arrays.toString(prev)
                        + " and " + names.get(order[i]) + " " + java.util.Arrays.toString(cur) + " overlap");
            }
        }
    }

    public Path path() {
        return path;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public Set<String> names() {
        return entries.keySet();
    }

    @Override
    public boolean has(String name) {
        return entries.containsKey(name);
    }

    @Override
    public Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new ModelFormatException(path + ": missing tensor " + name);
        }
        return e;
    }

    @Override
    public String source() {
        return path.toString();
    }

    @Override
    public void close() {
        arena.close();
    }
}
