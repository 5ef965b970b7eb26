package dev.cogvideox.data.select;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cogvideox.io.AtomicFile;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A stage's share of a prepared dataset: the clips of {@code DIR/clips.jsonl} whose numbers (quality_score, motion,
 * sharpness, seconds) meet the given bounds, written to {@code DIR/selections/NAME.jsonl} (paths relative to it), which
 * {@code train --data} reads as a dataset. The paper raises its score thresholds as training goes on: one selection
 * per stage, named by that stage of one train run ({@code --stages 256x256x9:2000@NAME,...}).
 */
public final class Selection {
    public static final String FOLDER = "selections";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

    /** What came of it: the clips kept, those a bound excluded, those without a bounded number, and the file. */
    public record Result(int selected, int excluded, int missing, Path file) {
    }

    private Selection() {
    }

    public static Result write(Path dir, String name, Map<String, Double> min, Map<String, Double> max) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("--name " + name + ": letters, digits, '.', '_' and '-' only (it names a file)");
        }
        Path source = dir.resolve("clips.jsonl");
        if (!Files.isRegularFile(source)) {
            throw new IllegalArgumentException("--data " + dir + ": no clips.jsonl (a folder `data prepare` wrote)");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(source, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("--data " + dir + ": cannot read clips.jsonl: " + e.getMessage(), e);
        }
        List<String> out = new ArrayList<>();
        int excluded = 0, missing = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            ObjectNode clip;
            try {
                clip = (ObjectNode) JSON.readTree(lines.get(i));
            } catch (JacksonException | ClassCastException e) {
                throw new IllegalArgumentException(source + " line " + (i + 1) + ": not a JSON object", e);
            }
            Boolean verdict = meets(clip, min, true);
            Boolean upper = verdict == null || !verdict ? verdict : meets(clip, max, false);
            if (upper == null) {
                missing++;
            } else if (!upper) {
                excluded++;
            } else {
                clip.put("video", "../" + clip.path("video").asText());
                out.add(clip.toString());
            }
        }
        Path file = dir.resolve(FOLDER).resolve(name + ".jsonl");
        AtomicFile.write(file, tmp -> {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (String l : out) {
                    w.write(l);
                    w.write('\n');
                }
            }
        });
        return new Result(out.size(), excluded, missing, file);
    }

    /** Whether every bound holds (at least {@code lower}, else at most); null when the clip lacks one of the numbers. */
    private static Boolean meets(JsonNode clip, Map<String, Double> bounds, boolean lower) {
        for (Map.Entry<String, Double> b : bounds.entrySet()) {
            JsonNode v = clip.get(b.getKey());
            if (v == null || !v.isNumber()) {
                return null;
            }
            if (lower ? v.asDouble() < b.getValue() : v.asDouble() > b.getValue()) {
                return false;
            }
        }
        return true;
    }
}
