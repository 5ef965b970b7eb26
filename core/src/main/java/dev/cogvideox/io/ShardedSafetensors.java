package dev.cogvideox.io;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** A sharded checkpoint: {@code *.safetensors.index.json} whose {@code weight_map} names the shard of every tensor. */
public final class ShardedSafetensors implements WeightStore {
    private final Path index;
    private final Map<String, SafetensorsFile> byTensor;
    private final Map<String, SafetensorsFile> shards;

    private ShardedSafetensors(Path index, Map<String, SafetensorsFile> byTensor, Map<String, SafetensorsFile> shards) {
        this.index = index;
        this.byTensor = byTensor;
        this.shards = shards;
    }

    public static ShardedSafetensors open(Path index) {
        JsonNode root = JsonConfig.parse(index.toString(), JsonConfig.readUtf8(index));
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new ModelFormatException(index + ": index has no 'weight_map' object");
        }
        Map<String, SafetensorsFile> shards = new TreeMap<>();
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        try {
            for (var it = map.fields(); it.hasNext(); ) {
                var f = it.next();
                String file = f.getValue().asText();
                Path shardPath = index.resolveSibling(file);
                SafetensorsFile shard = shards.get(file);
                if (shard == null) {
                    if (!Files.isRegularFile(shardPath)) {
                        throw new ModelFormatException(index + ": shard " + file + " (for tensor " + f.getKey() + ") is missing");
                    }
                    shard = SafetensorsFile.open(shardPath);
                    shards.put(file, shard);
                }
                if (!shard.has(f.getKey())) {
                    throw new ModelFormatException(index + ": tensor " + f.getKey() + " is mapped to " + file + " which does not contain it");
                }
                byTensor.put(f.getKey(), shard);
            }
        } catch (RuntimeException e) {
            shards.values().forEach(SafetensorsFile::close);
            throw e;
        }
        return new ShardedSafetensors(index, Collections.unmodifiableMap(byTensor), shards);
    }

    @Override
    public Set<String> names() {
        return byTensor.keySet();
    }

    @Override
    public boolean has(String name) {
        return byTensor.containsKey(name);
    }

    @Override
    public SafetensorsFile.Entry entry(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) {
            throw new ModelFormatException(index + ": missing tensor " + name + " (not in weight_map)");
        }
        return f.entry(name);
    }

    @Override
    public String source() {
        return index.toString();
    }

    public int shardCount() {
        return shards.size();
    }

    @Override
    public void close() {
        shards.values().forEach(SafetensorsFile::close);
    }
}
