package dev.cogvideox.io;

import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Shapes;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** Named stored tensors of one model component (one safetensors file or a sharded set). */
public interface WeightStore extends AutoCloseable {
    Set<String> names();

    boolean has(String name);

    /** The stored entry; throws {@link ModelFormatException} naming the file when it is missing. */
    SafetensorsFile.Entry entry(String name);

    /** Where this store reads from (for messages). */
    String source();

    /** A float weight; throws an error naming the file and the tensor when it is missing. */
    default Weight weight(String name) {
        return entry(name).weight();
    }

    /** A float weight that must have {@code shape}; the error names the file, the tensor and both shapes. */
    default Weight weight(String name, int... shape) {
        Weight w = weight(name);
        if (!java.util.Arrays.equals(w.shape(), shape)) {
            throw new ModelFormatException(source() + ": tensor " + name + " has shape " + Shapes.str(w.shape())
                    + ", the model config needs " + Shapes.str(shape));
        }
        return w;
    }

    /** A float weight copied to an fp32 heap tensor (small tensors only). */
    default Tensor tensor(String name, int... shape) {
        return weight(name, shape).toTensor();
    }

    /**
     * Drops the pages of every mapped tensor whose name starts with {@code prefix} from this process's resident
     * memory ({@code madvise(DONTNEED)} through {@link java.lang.foreign.MemorySegment#unload()}). The file stays in
     * the page cache, so the next use re-maps it for the cost of page faults; meanwhile the process's resident
     * set holds one block's weights instead of all of them. Heap-backed tensors are left alone.
     */
    default void evict(String prefix) {
        for (String n : names()) {
            if (n.startsWith(prefix)) {
                var bytes = entry(n).bytes();
                if (bytes.isMapped()) {
                    bytes.unload();
                }
            }
        }
    }

    /** Bytes tensor {@code name} takes in memory (its packed size when a view quantizes it). */
    default long byteSize(String name) {
        return entry(name).byteSize();
    }

    /** Whether tensor {@code name} is held on the heap for the store's lifetime (quantized), not mapped and evictable. */
    default boolean held(String name) {
        return false;
    }

    /** Total bytes of all tensors. */
    default long byteSize() {
        return names().stream().mapToLong(this::byteSize).sum();
    }

    /**
     * The kernels the modules built from this store run on (each module keeps them from its construction):
     * {@link Kernels#JAVA} unless the store was given others by {@link #withKernels}. They come with the weights
     * because a provider of quantized or native products is matched to the weights' format.
     */
    default Kernels kernels() {
        return Kernels.JAVA;
    }

    /** This store's tensors, with models built from it running on {@code kernels} (closing the view closes this store). */
    default WeightStore withKernels(Kernels kernels) {
        return kernels == kernels() ? this : new KernelsWeightStore(this, kernels);
    }

    @Override
    void close();

    /**
     * Opens the weights of a component folder (e.g. {@code transformer/}): a {@code *.safetensors.index.json}
     * (sharded) if there is one, else the single {@code *.safetensors} file. A path to a file opens that file.
     */
    static WeightStore open(Path path) {
        if (Files.isRegularFile(path)) {
            String file = path.getFileName().toString();
            return file.endsWith(".index.json") ? ShardedSafetensors.open(path) : file.endsWith(".gguf") ? openGguf(path) : SafetensorsFile.open(path);
        }
        if (!Files.isDirectory(path)) {
            throw new ModelFormatException(path + ": no such weights file or folder");
        }
        List<Path> indexes = list(path, ".safetensors.index.json");
        if (indexes.size() > 1) {
            throw new ModelFormatException(path + ": several index files " + indexes.stream().map(p -> p.getFileName().toString()).toList() + "; pass one explicitly");
        }
        if (indexes.size() == 1) {
            return ShardedSafetensors.open(indexes.getFirst());
        }
        List<Path> files = list(path, ".safetensors");
        if (files.isEmpty()) {
            List<Path> gguf = list(path, ".gguf");
            if (gguf.size() == 1) {
                return openGguf(gguf.getFirst());
            }
            if (gguf.size() > 1) {
                throw new ModelFormatException(path + ": several .gguf files " + gguf.stream().map(p -> p.getFileName().toString()).toList()
                        + "; keep one");
            }
            throw new ModelFormatException(path + ": no .safetensors (or .gguf) weights in this folder");
        }
        if (files.size() > 1) {
            throw new ModelFormatException(path + ": several .safetensors files " + files.stream().map(p -> p.getFileName().toString()).toList()
                    + " and no index; pass one explicitly");
        }
        return SafetensorsFile.open(files.getFirst());
    }

    /**
     * A GGUF file of a CogVideoX component: one that names another model family in {@code general.architecture}
     * (a llama, a flux) is refused here rather than failing later on a missing tensor.
     */
    private static WeightStore openGguf(Path file) {
        GgufFile g = GgufFile.open(file);
        Object arch = g.metadata().get("general.architecture");
        if (arch != null && !arch.toString().toLowerCase(java.util.Locale.ROOT).startsWith("cogvideo")) {
            g.close();
            throw new ModelFormatException(file + ": a GGUF of another model (general.architecture = " + arch
                    + "); this program reads CogVideoX transformers");
        }
        return g;
    }

    private static List<Path> list(Path dir, String suffix) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new ModelFormatException(dir + ": cannot list folder: " + e.getMessage(), e);
        }
    }
}
