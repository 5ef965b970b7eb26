package dev.cogvideox.cli;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cogvideox.io.video.VideoMetadata;
import dev.cogvideox.pipeline.LatentsFile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The settings a video was made with, by option name ({@code "--prompt"}, {@code "--seed"}, ...), as stored in the
 * output (one JSON object, ASCII only so GIF and PNG text keep it intact) and read back by {@code generate --from}.
 */
final class RunSettings {
    /** Marks our JSON among other tools' comments; bumped if the meaning of a key changes. */
    static final String MARK = "cogvideox-settings";
    private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();

    private final Map<String, Object> values = new LinkedHashMap<>();

    /** Records {@code option} with {@code value} (skipped when null); a file as its absolute path, so a rerun works from any folder. */
    RunSettings put(String option, Object value) {
        if (value != null) {
            values.put(option, value instanceof Path p ? p.toAbsolutePath().normalize().toString() : value);
        }
        return this;
    }

    Map<String, Object> values() {
        return values;
    }

    String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put(MARK, 1);
        root.set("options", JSON.valueToTree(values));
        try {
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The settings stored in {@code file} (a video, a PNG or frames folder, a latents file). */
    static RunSettings readFrom(Path file) {
        String text = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".safetensors")
                ? LatentsFile.description(file).orElse(null)
                : VideoMetadata.read(file).orElse(null);
        if (text == null) {
            throw new IllegalArgumentException("--from " + file + ": the file holds no generation settings (only videos, frames and latents "
                    + "written by cogvideox generate do)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            root = null;
        }
        if (root == null || !root.has(MARK) || !root.path("options").isObject()) {
            throw new IllegalArgumentException("--from " + file + ": its stored text is not cogvideox generation settings");
        }
        RunSettings s = new RunSettings();
        root.path("options").properties().forEach(e -> s.values.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText()
                : e.getValue().isBoolean() ? e.getValue().asBoolean() : e.getValue().isIntegralNumber() ? (Object) e.getValue().asLong()
                : e.getValue().isNumber() ? (Object) e.getValue().asDouble() : e.getValue().toString()));
        return s;
    }

    /** {@code --frames 49 --seed 42 ...}, for the summary line. */
    String summary() {
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) -> {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            String text = v.toString();
            sb.append(k).append(' ').append(text.isEmpty() || text.contains(" ") ? '"' + text + '"' : text);
        });
        return sb.toString();
    }
}
