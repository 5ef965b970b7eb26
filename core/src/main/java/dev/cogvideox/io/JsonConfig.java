package dev.cogvideox.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
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
        if (Files.isDirectory(file)) {
            throw new ModelFormatException(file + ": is a folder, expected a JSON file");
        }
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file + ": missing (a model component needs its config file)");
        }
        JsonNode node = parse(file.toString(), readUtf8(file));
        if (node == null || !node.isObject()) {
            throw new ModelFormatException(file + ": not a JSON object");
        }
        return new JsonConfig(file.toString(), node);
    }

    /** The text of a UTF-8 file; a malformed byte sequence is an error naming the file and the line. */
    public static String readUtf8(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
        return decodeUtf8(file.toString(), bytes);
    }

    /** {@code bytes} as UTF-8; a malformed sequence is an error naming {@code source}, the line and the byte offset. */
    public static String decodeUtf8(String source, byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            return decoder.decode(in).toString();
        } catch (CharacterCodingException e) {
            // decode() stops at the bad sequence: find it again to name its line
            CharsetDecoder again = StandardCharsets.UTF_8.newDecoder();
            ByteBuffer probe = ByteBuffer.wrap(bytes);
            CharBuffer out = CharBuffer.allocate(bytes.length + 1);
            CoderResult r = again.decode(probe, out, true);
            int at = r.isError() ? probe.position() : bytes.length;
            int line = 1;
            for (int i = 0; i < at; i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new ModelFormatException(source + ": line " + line + " (byte " + at + ") is not valid UTF-8 text; save the file as UTF-8");
        }
    }

    /**
     * Parses JSON text; a syntax error names {@code source}, the line and column and what the parser expected,
     * without the parser's own internals.
     */
    public static JsonNode parse(String source, String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(source + ": invalid JSON" + where(e) + ": " + firstLine(e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new ModelFormatException(source + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** " at line L, column C" of a parser error, or nothing. */
    public static String where(JsonProcessingException e) {
        JsonLocation loc = e.getLocation();
        return loc == null || loc.getLineNr() < 1 ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "syntax error";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
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

    public long requireLong(String key) {
        JsonNode n = required(key);
        if (!n.canConvertToLong() || !n.isIntegralNumber()) {
            throw new ModelFormatException(source + ": key '" + key + "' must be an integer, found " + n);
        }
        return n.longValue();
    }

    /** The object under {@code key}, as a config whose messages name the file and the key. */
    public JsonConfig requireObject(String key) {
        JsonNode n = required(key);
        if (!n.isObject()) {
            throw new ModelFormatException(source + ": key '" + key + "' must be an object, found " + n);
        }
        return new JsonConfig(source + " (" + key + ")", n);
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
        for (JsonNode e : n) {
            if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                throw new ModelFormatException(source + ": key '" + key + "' must be a list of integers, found " + n);
            }
            r.add(e.intValue());
        }
        return r.stream().mapToInt(Integer::intValue).toArray();
    }

    public List<String> getStringList(String key) {
        List<String> r = new ArrayList<>();
        if (has(key)) {
            JsonNode n = root.get(key);
            if (!n.isArray()) {
                throw new ModelFormatException(source + ": key '" + key + "' must be a list of strings, found " + n);
            }
            for (JsonNode e : n) {
                if (!e.isTextual()) {
                    throw new ModelFormatException(source + ": key '" + key + "' must be a list of strings, found " + n);
                }
                r.add(e.textValue());
            }
        }
        return r;
    }
}
