package dev.cogvideox.io;

import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.progress.ProgressUnit;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.QuantizedMatrix;
import dev.cogvideox.tensor.Weight;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A copy of a diffusers model folder whose chosen components' weights are one GGUF file each, their linear layers
 * quantized as {@code --weights} quantizes them on load ({@link QuantizedWeightStore#quantizable}, then
 * {@link QuantizedMatrix#quantize}), so that loading the copy runs the same numbers as quantizing on load. The
 * other tensors keep their stored dtype (F32, F16 or BF16; a GGUF source's block tensors stay the same blocks).
 * A linear weight whose rows are not whole blocks of 32, which a GGUF block tensor cannot hold, is stored as F32
 * holding its quantized values. Every other file is copied as it is. The folder is written under a temporary name
 * and renamed into place; each tensor is quantized, written and dropped in turn.
 *
 * <p>int8 per output channel has no GGUF type (a row's fp32 scale is not a ggml block) and is refused: Q8_0 is
 * GGUF's 8-bit format.
 */
public final class QuantizedModelFolder {
    /** The components {@code --weights} quantizes on load, and those quantized when none are named. */
    public static final List<String> DEFAULT_COMPONENTS = List.of("transformer", "text_encoder");
    private static final List<String> WEIGHT_SUFFIXES = List.of(".safetensors", ".safetensors.index.json", ".gguf", ".bin", ".bin.index.json");

    /** One quantized component: its weight files' bytes before, the GGUF's after, and what its tensors became. */
    public record Component(String name, Path file, long bytesBefore, long bytesAfter, int quantized, int keptAsF32, int kept) {
    }

    /** The written folder, the sizes of both folders (every file) and the quantized components. */
    public record Result(Path out, long bytesBefore, long bytesAfter, List<Component> components) {
    }

    private QuantizedModelFolder() {
    }

    /**
     * Writes {@code out} (which must not exist, or be an empty folder) from {@code model}, quantizing {@code components}
     * (null: those of {@link #DEFAULT_COMPONENTS} the model has) to {@code format}. A cancelled run leaves nothing.
     */
    public static Result write(Path model, Path out, QuantFormat format, List<String> components, ProgressListener progress,
                               CancellationToken cancel) {
        if (format == QuantFormat.INT8) {
            throw new IllegalArgumentException("int8 (per output channel) has no GGUF type: a row's fp32 scale is not a ggml block. "
                    + "Use q8_0 (GGUF's 8-bit blocks of 32, 8.5 bits a weight, as close), or keep int8 for quantizing on load "
                    + "(generate --weights int8)");
        }
        ModelIndex index = ModelIndex.read(model);
        List<String> chosen = choose(index, components);
        Path target = out.toAbsolutePath().normalize();
        checkTarget(model, target);
        String suffix = "-" + format.name() + ".gguf";
        Map<String, WeightStore> stores = new LinkedHashMap<>();
        Path tmp = null;
        try {
            for (String c : chosen) {
                WeightStore s = WeightStore.open(index.folder(c));
                stores.put(c, s);
                if (s.names().stream().noneMatch(n -> QuantizedWeightStore.quantizable(n, s.entry(n).shape().length))) {
                    throw new IllegalArgumentException("component " + c + " (" + s.source() + ") has no linear layer weights to quantize "
                            + "(2-D *.weight tensors); leave it out of --components");
                }
            }
            long before = folderBytes(model);
            Files.createDirectories(target.getParent());
            tmp = PartialFiles.createFolder(target);
            AtomicFile.makeOrdinary(tmp);
            copyOtherFiles(model, tmp, chosen, progress, cancel);
            List<Component> done = new ArrayList<>();
            for (var e : stores.entrySet()) {
                Path folder = index.folder(e.getKey());
                Path file = tmp.resolve(e.getKey()).resolve(weightsStem(folder, e.getKey()) + suffix);
                done.add(writeComponent(e.getKey(), folder, e.getValue(), format, file, progress, cancel));
            }
            if (Files.isDirectory(target)) {
                Files.delete(target);   // empty, checked above
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
            List<Component> placed = done.stream().map(c -> new Component(c.name(), target.resolve(c.name()).resolve(c.file().getFileName()),
                    c.bytesBefore(), c.bytesAfter(), c.quantized(), c.keptAsF32(), c.kept())).toList();
            return new Result(target, before, folderBytes(target), placed);
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot write the quantized model folder: " + e.getMessage(), e);
        } finally {
            stores.values().forEach(WeightStore::close);
            if (tmp != null) {
                deleteTree(tmp);
            }
        }
    }

    private static List<String> choose(ModelIndex index, List<String> components) {
        if (components == null) {
            List<String> found = DEFAULT_COMPONENTS.stream().filter(c -> index.components().containsKey(c) && hasWeights(index.folder(c))).toList();
            if (found.isEmpty()) {
                throw new IllegalArgumentException(index.root() + ": no " + String.join(" or ", DEFAULT_COMPONENTS)
                        + " weights to quantize");
            }
            return found;
        }
        if (components.isEmpty()) {
            throw new IllegalArgumentException("--components names no component; give e.g. " + String.join(",", DEFAULT_COMPONENTS));
        }
        for (String c : components) {
            if (!index.components().containsKey(c)) {
                throw new IllegalArgumentException("--components: " + index.root().resolve("model_index.json") + " has no component " + c
                        + " (it has " + String.join(", ", index.components().keySet()) + ")");
            }
            if (!hasWeights(index.folder(c))) {
                throw new IllegalArgumentException("--components: " + c + " (" + index.folder(c) + ") holds no weights (.safetensors or .gguf) "
                        + "to quantize; leave it out");
            }
        }
        return List.copyOf(new LinkedHashSet<>(components));
    }

    private static void checkTarget(Path model, Path target) {
        if (Files.exists(target) && !Folders.isEmptyDirectory(target)) {
            throw new IllegalArgumentException("--out " + target + " exists; remove it or write elsewhere");
        }
        Path root;
        try {
            root = model.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(model + ": cannot read: " + e.getMessage(), e);
        }
        Path parent = target.getParent();
        try {
            if (parent != null && Files.isDirectory(parent) && parent.toRealPath().resolve(target.getFileName()).startsWith(root)) {
                throw new IllegalArgumentException("--out " + target + " is inside the model folder " + root + "; write it elsewhere");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(parent + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static boolean isWeightFile(Path component, Path file) {
        String name = file.getFileName().toString();
        return file.getParent().equals(component) && WEIGHT_SUFFIXES.stream().anyMatch(name::endsWith);
    }

    private static boolean hasWeights(Path folder) {
        if (!Files.isDirectory(folder)) {
            return false;
        }
        try (Stream<Path> s = Files.list(folder)) {
            return s.anyMatch(p -> isWeightFile(folder, p) && !p.getFileName().toString().endsWith(".bin")
                    && !p.getFileName().toString().endsWith(".bin.index.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(folder + ": cannot list: " + e.getMessage(), e);
        }
    }

    /** {@code diffusion_pytorch_model} for {@code diffusion_pytorch_model.safetensors} or its index; {@code model} for {@code model.safetensors}. */
    private static String weightsStem(Path folder, String component) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            for (String suffix : List.of(".safetensors.index.json", ".safetensors", ".gguf")) {
                for (String n : names) {
                    if (n.endsWith(suffix)) {
                        return n.substring(0, n.length() - suffix.length());
                    }
                }
            }
        }
        return component;
    }

    /** Every regular file of the model (links followed: a hub snapshot's files are links) but the chosen components' weights. */
    private static void copyOtherFiles(Path model, Path tmp, List<String> chosen, ProgressListener progress, CancellationToken cancel)
            throws IOException {
        List<Path> files;
        try (Stream<Path> all = Files.walk(model, FileVisitOption.FOLLOW_LINKS)) {
            files = all.filter(Files::isRegularFile).filter(f -> {
                Path rel = model.relativize(f);
                return rel.getNameCount() < 2 || !chosen.contains(rel.getName(0).toString()) || !isWeightFile(model.resolve(rel.getName(0)), f);
            }).sorted().toList();
        }
        long total = 0;
        for (Path f : files) {
            total += Files.size(f);
        }
        progress.onStart("copying the other files", total, ProgressUnit.BYTES);
        long done = 0;
        for (Path f : files) {
            Path to = tmp.resolve(model.relativize(f).toString());
            Files.createDirectories(to.getParent());
            try (FileChannel in = FileChannel.open(f, StandardOpenOption.READ);
                 FileChannel o = FileChannel.open(to, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
                long size = in.size();
                for (long pos = 0; pos < size; ) {
                    cancel.throwIfCancelled();
                    long n = in.transferTo(pos, Math.min(64L << 20, size - pos), o);
                    if (n <= 0) {
                        throw new IOException(f + ": copy stopped at byte " + pos + " of " + size);
                    }
                    pos += n;
                    progress.onProgress(done + pos);
                }
                done += size;
            }
        }
        progress.onEnd();
    }

    private static Component writeComponent(String name, Path folder, WeightStore store, QuantFormat format, Path file,
                                            ProgressListener progress, CancellationToken cancel) throws IOException {
        long before = 0;
        try (Stream<Path> s = Files.list(folder)) {
            for (Path p : s.filter(p -> isWeightFile(folder, p)).toList()) {
                before += Files.size(p);
            }
        }
        GgufWriter w = new GgufWriter(GgufWriter.ARCHITECTURE)
                .putUInt32("general.quantization_version", 2)      // ggml's GGML_QNT_VERSION, as gguf-py writes it
                .putUInt32("general.file_type", fileType(format));
        int quantized = 0, asF32 = 0, kept = 0;
        for (String n : store.names()) {
            SafetensorsFile.Entry e = store.entry(n);
            int[] shape = e.shape();
            QuantFormat stored = store instanceof GgufFile g ? g.format(n) : null;
            if (QuantizedWeightStore.quantizable(n, shape.length)) {
                if (shape[1] % format.blockSize() == 0) {
                    w.addBlocks(n, format, shape, mapped(e, () -> QuantizedMatrix.quantize(store.weight(n), format).blocks()));
                    quantized++;
                } else {
                    w.add(n, DType.F32, shape, mapped(e, () -> littleEndian(store.weight(n).quantize(format))));
                    asF32++;
                }
            } else if (stored != null) {
                w.addBlocks(n, stored, shape, mapped(e, e::bytes));
                kept++;
            } else if (e.dtype().isFloatWeight()) {
                w.add(n, e.dtype(), shape, mapped(e, e::bytes));
                kept++;
            } else {
                throw new IllegalArgumentException(store.source() + ": tensor " + n + " has dtype " + e.dtype()
                        + "; a GGUF written here holds F32, F16, BF16 and ggml blocks only");
            }
        }
        Files.createDirectories(file.getParent());
        long after = w.write(file, "quantizing " + name + " to " + format.name().toLowerCase(Locale.ROOT), progress, cancel);
        return new Component(name, file, before, after, quantized, asF32, kept);
    }

    /** A source whose stored pages are dropped once written (the file stays in the page cache, the process lets them go). */
    private static GgufWriter.Source mapped(SafetensorsFile.Entry e, java.util.function.Supplier<MemorySegment> bytes) {
        return new GgufWriter.Source() {
            @Override
            public MemorySegment bytes() {
                return bytes.get();
            }

            @Override
            public void written() {
                if (e.bytes().isMapped()) {
                    e.bytes().unload();
                }
            }
        };
    }

    /** A quantized matrix's values as little-endian F32 bytes. */
    private static MemorySegment littleEndian(Weight q) {
        float[] v = q.toTensor().data();
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return MemorySegment.ofArray(b.array());
    }

    /** llama.cpp's {@code general.file_type} (LLAMA_FTYPE_MOSTLY_*) of a file whose matrices are {@code format}. */
    private static int fileType(QuantFormat format) {
        return switch (format) {
            case Q4_0 -> 2;
            case Q4_1 -> 3;
            case Q8_0 -> 7;
            case INT8 -> throw new IllegalArgumentException("int8");
        };
    }

    private static long folderBytes(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir, FileVisitOption.FOLLOW_LINKS)) {
            long sum = 0;
            for (Path f : all.filter(Files::isRegularFile).toList()) {
                sum += Files.size(f);
            }
            return sum;
        }
    }

    private static void deleteTree(Path p) {
        try (Stream<Path> all = Files.walk(p)) {
            for (Path q : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        } catch (IOException | UncheckedIOException e) {
            // best effort: the partial folder is hidden, and the next run removes it (PartialFiles.removeStale)
        }
    }
}
