package dev.cogvideox.train.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cogvideox.io.JsonConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The samples of a dataset, in one of two layouts:
 * <ul>
 *   <li>a folder with {@code videos.txt} and {@code prompts.txt}, one video path (relative to the folder) and one
 *       caption per line, paired by line (diffusers' {@code train_cogvideox_lora.py --video_column/--caption_column};
 *       as there, blank lines are dropped before pairing);</li>
 *   <li>a JSONL file (or a folder holding exactly one), one {@code {"video": ..., "caption": ...}} per line, paths
 *       relative to the file's folder.</li>
 * </ul>
 * A pair that cannot be made (a video without a caption, a JSONL line without one of the keys) is a {@link #problems
 * problem}: reported and skipped, not fatal. A dataset without any sample is an error.
 */
public record DatasetIndex(List<DataSample> samples, List<String> problems) {
    /** The folder of a dataset's selections ({@code data select} writes {@code selections/NAME.jsonl} there). */
    public static final String SELECTIONS = "selections";
    private static final ObjectMapper JSON = new ObjectMapper();

    public static DatasetIndex read(Path data) {
        DatasetIndex index;
        if (Files.isRegularFile(data) && data.toString().endsWith(".jsonl")) {
            index = jsonl(data);
        } else if (Files.isDirectory(data) && Files.isRegularFile(data.resolve("videos.txt"))) {
            index = lists(data);
        } else if (Files.isDirectory(data) && jsonlFiles(data).size() == 1) {
            index = jsonl(jsonlFiles(data).getFirst());
        } else {
            throw new IllegalArgumentException("--data " + data + ": expected a folder with videos.txt and prompts.txt (one video path and "
                    + "one caption per line), or a .jsonl file of {\"video\": ..., \"caption\": ...} lines");
        }
        if (index.samples().isEmpty()) {
            throw new IllegalArgumentException("--data " + data + ": no usable sample" + (index.problems().isEmpty() ? "" : " " + index.problems()));
        }
        return index;
    }

    /**
     * The folder of the dataset {@code --data} names: the folder itself, or a JSONL file's folder, or (for one of its
     * {@code selections/NAME.jsonl}) the dataset's folder above it.
     */
    public static Path root(Path data) {
        Path abs = data.toAbsolutePath().normalize();
        if (Files.isDirectory(abs) || abs.getParent() == null) {
            return abs;
        }
        Path parent = abs.getParent();
        boolean inSelections = parent.getFileName() != null && parent.getFileName().toString().equals(SELECTIONS) && parent.getParent() != null;
        return inSelections ? parent.getParent() : parent;
    }

    /**
     * The file of the selection {@code name} of the dataset {@code data} ({@link #root}); the error names the option,
     * the file, the selections there are and how to make one.
     */
    public static Path selection(Path data, String name, String option) {
        Path dir = root(data).resolve(SELECTIONS), file = dir.resolve(name + ".jsonl");
        if (Files.isRegularFile(file)) {
            return file;
        }
        List<String> known = Files.isDirectory(dir) ? jsonlFiles(dir).stream().map(p -> p.getFileName().toString().replaceFirst("\\.jsonl$", "")).toList()
                : List.of();
        throw new IllegalArgumentException(option + ": no selection '" + name + "': " + file + " does not exist ("
                + (known.isEmpty() ? "the dataset has no selections" : "the dataset has " + String.join(", ", known))
                + "); make it with `cogvideox data select --data " + root(data) + " --name " + name + " --min KEY=VALUE ...`");
    }

    private static DatasetIndex lists(Path dir) {
        Path prompts = dir.resolve("prompts.txt");
        if (!Files.isRegularFile(prompts)) {
            throw new IllegalArgumentException("--data " + dir + ": has videos.txt but no prompts.txt (one caption per line, in the order of videos.txt)");
        }
        List<String> videos = nonBlankLines(dir.resolve("videos.txt")), captions = nonBlankLines(prompts);
        List<DataSample> samples = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < videos.size(); i++) {
            String origin = "videos.txt line " + (i + 1) + " (" + videos.get(i).strip() + ")";
            if (i < captions.size()) {
                samples.add(new DataSample(dir.resolve(videos.get(i).strip()), captions.get(i).strip(), origin));
            } else {
                problems.add(origin + ": no caption (prompts.txt has " + captions.size() + " non-blank lines for " + videos.size() + " videos)");
            }
        }
        if (captions.size() > videos.size()) {
            problems.add("prompts.txt has " + (captions.size() - videos.size()) + " more captions than videos.txt has videos; the extra ones are unused");
        }
        return new DatasetIndex(samples, problems);
    }

    private static DatasetIndex jsonl(Path file) {
        List<DataSample> samples = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<String> lines = readLines(file);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            String origin = file.getFileName() + " line " + (i + 1);
            try {
                JsonNode row = JSON.readTree(lines.get(i));
                JsonNode video = row.get("video"), caption = row.get("caption");
                if (video == null || !video.isTextual() || caption == null || !caption.isTextual()) {
                    problems.add(origin + ": needs text fields \"video\" and \"caption\", got " + lines.get(i).strip());
                } else {
                    samples.add(new DataSample(file.toAbsolutePath().getParent().resolve(video.asText()), caption.asText(),
                            origin + " (" + video.asText() + ")"));
                }
            } catch (JsonProcessingException e) {
                problems.add(origin + ": not JSON" + JsonConfig.where(e) + ": " + String.valueOf(e.getOriginalMessage()).lines().findFirst().orElse(""));
            }
        }
        return new DatasetIndex(samples, problems);
    }

    private static List<Path> jsonlFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("--data " + dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    private static List<String> nonBlankLines(Path file) {
        return readLines(file).stream().filter(l -> !l.isBlank()).toList();
    }

    /** The lines of a UTF-8 text file; invalid UTF-8 is an error naming the file and the line. */
    private static List<String> readLines(Path file) {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(file + ": is a folder, expected a text file");
        }
        return JsonConfig.readUtf8(file).lines().toList();
    }
}
