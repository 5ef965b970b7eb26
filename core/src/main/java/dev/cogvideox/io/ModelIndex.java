package dev.cogvideox.io;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code model_index.json} of a diffusers pipeline folder: the pipeline class and each component's library and class. */
public record ModelIndex(Path root, String pipelineClass, Map<String, Component> components) {
    /** One component entry, e.g. {@code "vae": ["diffusers", "AutoencoderKLCogVideoX"]}. */
    public record Component(String name, String library, String className) {
    }

    public static ModelIndex read(Path root) {
        JsonConfig c = JsonConfig.read(root.resolve("model_index.json"));
        Map<String, Component> comps = new LinkedHashMap<>();
        for (var it = c.root().fields(); it.hasNext(); ) {
            var f = it.next();
            JsonNode v = f.getValue();
            if (f.getKey().startsWith("_") || !v.isArray() || v.size() != 2) {
                continue;
            }
            if (v.get(0).isNull() || v.get(1).isNull()) {
                continue;
            }
            comps.put(f.getKey(), new Component(f.getKey(), v.get(0).asText(), v.get(1).asText()));
        }
        return new ModelIndex(root, c.requireString("_class_name"), Collections.unmodifiableMap(comps));
    }

    public Path folder(String component) {
        return root.resolve(component);
    }
}
