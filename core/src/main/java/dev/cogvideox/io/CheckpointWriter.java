package dev.cogvideox.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Shapes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a component's weights in the diffusers/transformers layout: one {@code <base>.safetensors}, or shards
 * {@code <base>-0000i-of-0000n.safetensors} plus {@code <base>.safetensors.index.json} when the total exceeds
 * {@code maxShardBytes}. Each file is written atomically; the index is written last.
 */
public final class CheckpointWriter {
    /** One tensor to write. */
    public record Item(String name, DType dtype, int[] shape, SafetensorsWriter.FloatSource source) {
        public long bytes() {
            return Shapes.numel(Shapes.toLong(shape)) * dtype.bytes();
        }
    }

    private CheckpointWriter() {
    }

    /** Writes {@code items} into {@code dir} with file names starting {@code base} (e.g. {@code diffusion_pytorch_model}). */
    public static void write(Path dir, String base, List<Item> items, long maxShardBytes, Map<String, String> metadata) {
        List<List<Item>> shards = new ArrayList<>();
        List<Item> current = new ArrayList<>();
        long size = 0;
        for (Item it : items) {
            if (!current.isEmpty() && size + it.bytes() > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(it);
            size += it.bytes();
        }
        shards.add(current);
        if (shards.size() == 1) {
            writeShard(dir.resolve(base + ".safetensors"), shards.getFirst(), metadata);
            return;
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode index = json.createObjectNode();
        long total = items.stream().mapToLong(Item::bytes).sum();
        index.putObject("metadata").put("total_size", total);
        ObjectNode map = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            String file = String.format("%s-%05d-of-%05d.safetensors", base, i + 1, shards.size());
            writeShard(dir.resolve(file), shards.get(i), metadata);
            shards.get(i).forEach(it -> map.put(it.name(), file));
        }
        AtomicFile.write(dir.resolve(base + ".safetensors.index.json"),
                tmp -> Files.writeString(tmp, json.writerWithDefaultPrettyPrinter().writeValueAsString(index)));
    }

    private static void writeShard(Path file, List<Item> items, Map<String, String> metadata) {
        SafetensorsWriter w = new SafetensorsWriter(metadata);
        items.forEach(it -> w.add(it.name(), it.dtype(), it.shape(), it.source()));
        w.write(file);
    }

    /** Writes a JSON object (a config) atomically with stable pretty printing. */
    public static void writeJson(Path file, Object value) {
        ObjectMapper json = new ObjectMapper();
        AtomicFile.write(file, tmp -> Files.writeString(tmp, json.writerWithDefaultPrettyPrinter().writeValueAsString(value) + "\n"));
    }
}
