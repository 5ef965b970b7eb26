package dev.cogvideox.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A parsed {@code config.json}-style file with typed accessors whose errors name the file and the key.
 * Unknown keys are ignored (newer diffusers versions add some); missing required keys are errors.
 */
public final class JsonConfig {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String source;
    private final JsonNode root;

    public JsonConfig(String source, JsonNode root) {
        this.source = source;
        this.root = root;
    }

    public static JsonConfig read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file + ": missing (a model component needs its config file)");
        }
        try {
            JsonNode node = JSON.readTree(Files.readString(file));
            if (node == null || !node.isObject()) {
                throw new ModelFormatException(file + ": not a JSON object");
            }
            return new JsonConfig(file.toString(), node);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": invalid JSON: " + e.getMessage(), e);
        }
    }

    public String source() {
        return source;
    }

    public JsonNode root() {
        return root;
    }

    public boolean has(String key) {
        JsonNode n = root.get(key);
        return n != null && !n.isNull();
    }

    private JsonNode required(String key) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            throw new ModelFormatException(source + ": required key '" + key + "' is missing");
        }
        return n;
    }

    public int requireInt(String key) {
        JsonNode n = required(key);
        if (!n.canConvertToInt() || !n.isIntegralNumber()) {
            throw new ModelFormatException(source + ": key '" + key + "' must be an integer, found " + n);
        }
        return n.intValue();
    }

    public int getInt(String key, int dflt) {
        return has(key) ? requireInt(key) : dflt;
    }

    /** An integer or null when the key is absent or null. */
    public Integer getIntOrNull(String key) {
        return has(key) ? requireInt(key) : null;
    }

    public double requireDouble(String key) {
        JsonNode n = required(key);
        if (!n.isNumber()) {
            throw new ModelFormatException(source + ": key '" + key + "' must be a number, found " + n);
        }
        return n.doubleValue();
    }

    public double getDouble(String key, double dflt) {
        return has(key) ? requireDouble(key) : dflt;
    }

    public boolean getBool(String key, boolean dflt) {
        if (!has(key)) {
            return dflt;
        }
        JsonNode n = root.get(key);
        if (!n.isBoolean()) {
            throw new ModelFormatException(source + ": key '" + key + "' must be true or false, found " + n);
        }
        return n.booleanValue();
    }

    public String requireString(String key) {
        JsonNode n = required(key);
        if (!n.isTextual()) {
            throw new ModelFormatException(source + ": key '" + key + "' must be a string, found " + n);
        }
        return n.textValue();
    }

    public String getString(String key, String dflt) {
        return has(key) ? requireString(key) : dflt;
    }

    public int[] getIntArray(String key, int[] dflt) {
        if (!has(key)) {
            return dflt;
        }
        JsonNode n = root.get(key);
        if (!n.isArray()) {
            throw new ModelFormatException(source + ": key '" + key + "' must be a list of integers, found " + n);
        }
        List<Integer> r = new ArrayList<>();
        n.forEach(e -> r.add(e.asInt()));
        return r.stream().mapToInt(Integer::intValue).toArray();
    }

    public List<String> getStringList(String key) {
        List<String> r = new ArrayList<>();
        if (has(key)) {
            root.get(key).forEach(e -> r.add(e.asText()));
        }
        return r;
    }
}
