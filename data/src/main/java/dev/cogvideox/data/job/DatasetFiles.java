package dev.cogvideox.data.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cogvideox.io.AtomicFile;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The dataset as {@code train --data} reads it: {@code clips.jsonl} in the output folder, one
 * {@code {"video": "clips/....mp4", "caption": "..."}} line per kept clip (the JSONL layout of the train module's
 * {@code DatasetIndex}; the features the rules judged ride along for selecting by them later), written whole. Clip files
 * of earlier runs that this run did not keep are removed, with any temporary file a killed task left.
 */
final class DatasetFiles {
    static final String NAME = "clips.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private DatasetFiles() {
    }

    static void write(Path dir, List<ClipRow> rows) {
        AtomicFile.write(dir.resolve(NAME), tmp -> {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (ClipRow r : rows) {
                    if (!r.kept()) {
                        continue;
                    }
                    ObjectNode line = JSON.createObjectNode();
                    line.put("video", r.clip());
                    line.put("caption", r.caption() == null ? "" : r.caption());
                    line.put("input", r.input());
                    line.put("start_seconds", r.startSeconds());
                    line.put("seconds", r.features().seconds());
                    line.put("motion", r.features().motion());
                    line.put("sharpness", r.features().sharpness());
                    if (r.qualityScore() != null) {
                        line.put("quality_score", r.qualityScore());
                    }
                    w.write(JSON.writeValueAsString(line));
                    w.write('\n');
                }
            }
        });
        removeStale(dir.resolve(ClipSettings.CLIPS), rows);
    }

    private static void removeStale(Path clips, List<ClipRow> rows) {
        if (!Files.isDirectory(clips)) {
            return;
        }
        Set<String> kept = new HashSet<>();
        rows.stream().filter(ClipRow::kept).forEach(r -> kept.add(Path.of(r.clip()).getFileName().toString()));
        try (Stream<Path> files = Files.list(clips)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if ((name.endsWith(".mp4") && !kept.contains(name)) || name.endsWith(".partial")) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot tidy " + clips + ": " + e.getMessage(), e);
        }
    }
}
