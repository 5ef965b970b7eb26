package dev.cogvideox.train.lora;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cogvideox.io.ModelFormatException;
import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.SafetensorsWriter;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Tensor;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The diffusers LoRA file ({@code pytorch_lora_weights.safetensors}, as {@code CogVideoXPipeline.save_lora_weights}
 * writes it): float tensors under {@code transformer.transformer_blocks.<i>.attn1.<target>.lora_<A|B>.weight} and the
 * safetensors metadata {@code {"format": "pt"}}, plus {@code lora_adapter_metadata} (a JSON string of the PEFT
 * config, keys prefixed {@code transformer.}) when lora_alpha differs from the rank.
 */
public final class LoraFile {
    /** The file name diffusers writes and looks for. */
    public static final String WEIGHT_NAME = "pytorch_lora_weights.safetensors";
    private static final String METADATA_KEY = "lora_adapter_metadata";
    private static final ObjectMapper JSON = new ObjectMapper();

    private LoraFile() {
    }

    /** Reads a LoRA file, or {@value #WEIGHT_NAME} inside a folder. Unknown keys are an error naming them. */
    public static LoraWeights read(Path path) {
        Path file = path.toFile().isDirectory() ? path.resolve(WEIGHT_NAME) : path;
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (String name : st.names()) {
                tensors.put(name, st.entry(name).toTensor());
            }
            return LoraWeights.fromKeys(tensors, loraAlpha(st.metadata(), file), file.toString());
        }
    }

    /** Writes {@code weights} as float32 tensors with the diffusers metadata. */
    public static void write(Path file, LoraWeights weights) {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        if (weights.loraAlpha() != null) {
            ObjectNode config = JSON.createObjectNode();
            config.put(LoraWeights.PREFIX + "lora_alpha", weights.loraAlpha());
            config.put(LoraWeights.PREFIX + "r", weights.modules().values().iterator().next().rank());
            LoraWeights.TARGETS.forEach(config.putArray(LoraWeights.PREFIX + "target_modules")::add);
            metadata.put(METADATA_KEY, config.toPrettyString());
        }
        SafetensorsWriter writer = new SafetensorsWriter(metadata);
        weights.toKeys().forEach((name, t) -> writer.add(name, DType.F32, t));
        writer.write(file);
    }

    /** lora_alpha from {@code lora_adapter_metadata} (keys with or without the {@code transformer.} prefix), else null. */
    private static Double loraAlpha(Map<String, String> metadata, Path file) {
        String json = metadata == null ? null : metadata.get(METADATA_KEY);
        if (json == null) {
            return null;
        }
        try {
            JsonNode config = JSON.readTree(json);
            JsonNode alpha = config.has(LoraWeights.PREFIX + "lora_alpha") ? config.get(LoraWeights.PREFIX + "lora_alpha") : config.get("lora_alpha");
            return alpha == null || alpha.isNull() ? null : alpha.asDouble();
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file + ": " + METADATA_KEY + " is not JSON: " + e.getOriginalMessage(), e);
        }
    }
}
