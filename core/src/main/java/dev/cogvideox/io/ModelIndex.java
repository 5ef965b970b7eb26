package dev.cogvideox.io;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code model_index.json} of a diffusers pipeline folder: the pipeline class and each component's library and class.
 * The pipeline class and the classes of the components this project loads are checked against what it implements;
 * other entries are kept as they are (newer diffusers versions add some).
 */
public record ModelIndex(Path root, String pipelineClass, Map<String, Component> components) {
    /** The diffusers pipelines this project runs. */
    public static final Set<String> PIPELINES = Set.of("CogVideoXPipeline", "CogVideoXImageToVideoPipeline", "CogVideoXVideoToVideoPipeline");
    /** The classes this project implements for each component it loads. */
    public static final Map<String, List<String>> COMPONENT_CLASSES = Map.of(
            "transformer", List.of("CogVideoXTransformer3DModel"),
            "vae", List.of("AutoencoderKLCogVideoX"),
            "scheduler", List.of("CogVideoXDDIMScheduler", "CogVideoXDPMScheduler"),
            "text_encoder", List.of("T5EncoderModel"),
            "tokenizer", List.of("T5Tokenizer", "T5TokenizerFast"));

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
        String pipeline = c.requireString("_class_name");
        if (!PIPELINES.contains(pipeline)) {
            throw new ModelFormatException(c.source() + ": _class_name '" + pipeline + "' is not a pipeline this program runs (one of "
                    + PIPELINES.stream().sorted().toList() + "); give a CogVideoX model folder");
        }
        for (Component comp : comps.values()) {
            List<String> allowed = COMPONENT_CLASSES.get(comp.name());
            if (allowed != null && !allowed.contains(comp.className())) {
                throw new ModelFormatException(c.source() + ": key '" + comp.name() + "' names class '" + comp.className()
                        + "', this program implements " + String.join(" or ", allowed) + " for it");
            }
        }
        return new ModelIndex(root, pipeline, Collections.unmodifiableMap(comps));
    }

    public Path folder(String component) {
        return root.resolve(component);
    }
}
