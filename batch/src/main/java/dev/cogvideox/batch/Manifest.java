package dev.cogvideox.batch;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.cogvideox.io.AtomicFile;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code manifest.jsonl} in the output folder: one JSON object per line and output, what became of it. JSON lines
 * rather than Parquet: a line is appended (and flushed) the moment its result reaches the driver, so a driver that
 * dies loses at most the line it was writing (a torn last line is skipped when read); it is read with any tool (jq,
 * grep, a spreadsheet) without Spark; and it needs nothing beyond Spark's core. The file is compacted (one line per
 * output, the latest) by rewriting it whole through a temporary file at the start and end of each run.
 */
final class Manifest implements AutoCloseable {
    static final String NAME = "manifest.jsonl";
    static final String DONE = "done";
    static final String FAILED = "failed";

    /**
     * One output's record: the line it came from, done or failed (with the reason), the prompt (for people reading
     * the file), how long it took, where it ran (Spark executor id and host) and on which attempt, and what decides
     * its content: the model folder, the line's options and the batch's default options (a rerun skips a done
     * output only while all three are the same and the file is there), and the settings it ran with.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Entry(int line, String output, String status, String reason, String prompt, Double seconds, String executor, String host,
                 Integer attempt, String model, JsonNode options, List<String> defaults, JsonNode settings, String finished) {
        boolean done() {
            return DONE.equals(status);
        }

        /** Whether this done entry was made by the same model and options as a line to run now. */
        boolean sameRun(String model, JsonNode options, List<String> defaults) {
            return Objects.equals(this.model, model) && Objects.equals(this.options, options) && Objects.equals(this.defaults, defaults);
        }
    }

    private final BufferedWriter out;

    private Manifest(BufferedWriter out) {
        this.out = out;
    }

    /** The entries of {@code file} (none if it is not there), the latest per output; lines that do not parse are skipped. */
    static Map<String, Entry> read(Path file) {
        Map<String, Entry> latest = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) {
            return latest;
        }
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    Entry e = PromptFile.JSON.readValue(line, Entry.class);
                    if (e.output() != null) {
                        latest.remove(e.output());
                        latest.put(e.output(), e);
                    }
                } catch (JacksonException torn) {
                    // the last line of a driver that died while writing it
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the manifest " + file + ": " + e.getMessage(), e);
        }
        return latest;
    }

    /** Replaces {@code file} with {@code entries}, whole or not at all. */
    static void write(Path file, Collection<Entry> entries) {
        AtomicFile.write(file, tmp -> {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (Entry e : entries) {
                    w.write(PromptFile.JSON.writeValueAsString(e));
                    w.write('\n');
                }
            }
        });
    }

    /** Opens {@code file} to append entries to. */
    static Manifest append(Path file) {
        try {
            return new Manifest(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the manifest " + file + ": " + e.getMessage(), e);
        }
    }

    /** Appends one entry and flushes it. */
    synchronized void add(Entry e) {
        try {
            out.write(PromptFile.JSON.writeValueAsString(e));
            out.write('\n');
            out.flush();
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write the manifest: " + ex.getMessage(), ex);
        }
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the manifest: " + e.getMessage(), e);
        }
    }
}
