package dev.cogvideox.batch;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The prompts file: JSON lines, one object per video ({@code {"prompt": "a red ball", "seed": 7, "output": "ball.mp4"}}),
 * blank lines ignored. The key {@code output} names the line's output inside the batch's output folder (default
 * {@code NNNNN.mp4}, the line's number); every other key is the runner's (for the command line, an option of
 * {@code generate}). A line that is not such an object is kept with the reason, to be reported like any other failure.
 */
final class PromptFile {
    /** The key naming a line's output. */
    static final String OUTPUT = "output";
    static final ObjectMapper JSON = JsonMapper.builder().build();

    /** One non-blank line: its number (from 1), output and options (without {@code output}), or why it cannot run. */
    record Line(int number, String output, ObjectNode options, String error) {
        static Line failed(int number, String output, String error) {
            return new Line(number, output, null, error);
        }
    }

    private PromptFile() {
    }

    static List<Line> read(Path file) {
        List<String> text;
        try {
            text = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("--prompts " + file + ": no such file");
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("--prompts " + file + ": not UTF-8 text (a JSON object per line is expected)");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        List<Line> lines = new ArrayList<>();
        for (int i = 0; i < text.size(); i++) {
            if (!text.get(i).isBlank()) {
                lines.add(parse(i + 1, text.get(i)));
            }
        }
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("--prompts " + file + " has no prompts: give one JSON object per line, e.g. "
                    + "{\"prompt\": \"a red ball rolls\", \"seed\": 7}");
        }
        return lines;
    }

    static Line parse(int number, String text) {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JacksonException e) {
            return Line.failed(number, null, "not valid JSON: " + parserMessage(e) + " (at column " + e.getLocation().getColumnNr() + ")");
        }
        if (!(node instanceof ObjectNode options)) {
            return Line.failed(number, null, "a JSON object is expected ({\"prompt\": \"...\", ...}), not " + describe(node));
        }
        String output = defaultOutput(number);
        JsonNode given = options.remove(OUTPUT);
        if (given != null) {
            if (!given.isTextual()) {
                return Line.failed(number, null, "\"output\" must be a file name inside the output folder, as a string, not " + describe(given));
            }
            try {
                output = checkOutput(given.asText());
            } catch (IllegalArgumentException e) {
                return Line.failed(number, null, e.getMessage());
            }
        }
        return new Line(number, output, options, null);
    }

    /** The parser's complaint without the locations it adds for developers. */
    private static String parserMessage(JacksonException e) {
        String m = e.getOriginalMessage();
        if (m == null) {
            return e.getClass().getSimpleName();
        }
        m = m.lines().findFirst().orElse(m);
        int at = m.indexOf(" (start marker at");
        return (at >= 0 ? m.substring(0, at) : m).strip();
    }

    /** {@code 00007.mp4} for line 7. */
    static String defaultOutput(int number) {
        return String.format(Locale.ROOT, "%05d.mp4", number);
    }

    /**
     * A line's output as given if it stays inside the output folder: relative, no {@code ..}, not the manifest; a
     * trailing {@code /} (a folder of PNG frames) is kept.
     */
    static String checkOutput(String name) {
        String n = name.strip();
        boolean folder = n.endsWith("/");
        Path p;
        try {
            p = Path.of(n).normalize();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("\"output\": '" + name + "' is not a file name");
        }
        if (n.isEmpty() || p.isAbsolute() || p.toString().isEmpty() || p.startsWith("..")) {
            throw new IllegalArgumentException("\"output\": '" + name + "' must be a name inside the output folder (e.g. \"ball.mp4\", "
                    + "\"clips/ball.gif\", \"frames/\"), not an absolute path or one going up with ..");
        }
        if (p.toString().equals(Manifest.NAME)) {
            throw new IllegalArgumentException("\"output\": " + Manifest.NAME + " is the batch's manifest; choose another name");
        }
        return p + (folder ? "/" : "");
    }

    private static String describe(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "true/false";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }
}
