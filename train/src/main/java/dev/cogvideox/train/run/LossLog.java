package dev.cogvideox.train.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cogvideox.io.AtomicFile;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code loss.jsonl}: one JSON object per optimizer step ({@code step} counts from 1, {@code stage}, {@code loss},
 * {@code grad_norm} before clipping, {@code lr}, {@code clips} and {@code tokens} of the global batch, and the
 * {@code timesteps} of each of its Frame Pack batches, one list per data-parallel rank's pack). A resumed
 * run first drops the lines after its checkpoint, so the file reads as one uninterrupted run.
 */
final class LossLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final BufferedWriter out;
    private final List<double[]> points = new ArrayList<>();

    /** Opens the log, keeping the lines of steps up to {@code keepUpTo} (0 for a fresh run). */
    LossLog(Path file, int keepUpTo) {
        this.file = file;
        try {
            List<String> kept = new ArrayList<>();
            if (keepUpTo > 0 && Files.isRegularFile(file)) {
                for (String line : Files.readAllLines(file)) {
                    JsonNode row = JSON.readTree(line);
                    if (row.get("step").asInt() <= keepUpTo) {
                        kept.add(line);
                        points.add(new double[]{row.get("step").asInt(), row.get("loss").asDouble()});
                    }
                }
            }
            AtomicFile.write(file, tmp -> Files.write(tmp, kept));
            this.out = Files.newBufferedWriter(file, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot open the loss log: " + e.getMessage(), e);
        }
    }

    void append(int step, int stage, double loss, double gradNorm, double lr, int clips, int tokens) {
        append(step, stage, loss, gradNorm, lr, clips, tokens, null);
    }

    /** A line with the timesteps of each Frame Pack batch (null: none, as for the VAE). */
    void append(int step, int stage, double loss, double gradNorm, double lr, int clips, int tokens, List<long[]> timesteps) {
        ObjectNode row = JSON.createObjectNode().put("step", step).put("stage", stage).put("loss", loss)
                .put("grad_norm", gradNorm).put("lr", lr).put("clips", clips).put("tokens", tokens);
        if (timesteps != null) {
            var packs = row.putArray("timesteps");
            for (long[] pack : timesteps) {
                var t = packs.addArray();
                for (long v : pack) {
                    t.add(v);
                }
            }
        }
        points.add(new double[]{step, loss});
        try {
            out.write(row.toString());
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** {@code (step, loss)} of every line so far. */
    List<double[]> points() {
        return points;
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot close: " + e.getMessage(), e);
        }
    }
}
