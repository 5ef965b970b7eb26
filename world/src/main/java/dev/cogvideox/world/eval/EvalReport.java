package dev.cogvideox.world.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cogvideox.world.Combination;
import dev.cogvideox.world.Shape;
import dev.cogvideox.world.detect.ClipDetection;

import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The result of an evaluation: every video's score and the scores of the held-out and seen groups, as a table or
 * as JSON.
 *
 * @param settings what was evaluated and how (model, steps, guidance, frames, size, seeds), printed as given
 */
public record EvalReport(Map<String, Object> settings, List<VideoScore> videos) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public EvalReport {
        settings = new LinkedHashMap<>(settings);
        videos = List.copyOf(videos);
    }

    public GroupScore heldOut() {
        return GroupScore.of(videos.stream().filter(v -> v.prompt().heldOut()).toList());
    }

    public GroupScore seen() {
        return GroupScore.of(videos.stream().filter(v -> !v.prompt().heldOut()).toList());
    }

    /**
     * How each shape word was drawn, over every video: for each shape asked for, the number of videos the detector read
     * as each shape, and as {@code none} when it found no shape. Where the shape score is low this says which shapes
     * are confused (a model that draws blobs reads as circles).
     */
    public Map<Shape, Map<String, Integer>> shapeConfusion() {
        Map<Shape, Map<String, Integer>> out = new EnumMap<>(Shape.class);
        for (Shape asked : Shape.values()) {
            Map<String, Integer> row = new LinkedHashMap<>();
            for (Shape read : Shape.values()) {
                row.put(read.word(), 0);
            }
            row.put("none", 0);
            out.put(asked, row);
        }
        for (VideoScore v : videos) {
            Shape read = v.detected().shape();
            out.get(v.prompt().expected().shape()).merge(read == null ? "none" : read.word(), 1, Integer::sum);
        }
        return out;
    }

    /** A table of the two groups, and of the shapes asked for against the shapes read. */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        settings.forEach((k, v) -> sb.append(k).append(": ").append(v).append('\n'));
        sb.append(String.format(Locale.ROOT, "%-10s %7s %8s %8s %10s %10s %8s %11s %13s%n", "group", "videos", "colour", "shape",
                "direction", "all three", "found", "bg flicker", "area flicker"));
        row(sb, "held-out", heldOut());
        row(sb, "seen", seen());
        sb.append("(colour, shape, direction, all three, found: fraction of videos; bg flicker: mean absolute change of the background\n"
                + " between consecutive frames, 8-bit levels; area flicker: mean absolute change of the shape's area over its mean area)\n");
        sb.append(String.format(Locale.ROOT, "%-16s", "shape asked"));
        shapeConfusion().values().iterator().next().keySet().forEach(read -> sb.append(String.format(Locale.ROOT, " %9s", read)));
        sb.append("   (videos read as each shape)\n");
        shapeConfusion().forEach((asked, row) -> {
            sb.append(String.format(Locale.ROOT, "%-16s", asked.word()));
            row.values().forEach(n -> sb.append(String.format(Locale.ROOT, " %9d", n)));
            sb.append('\n');
        });
        return sb.toString();
    }

    private static void row(StringBuilder sb, String name, GroupScore g) {
        sb.append(String.format(Locale.ROOT, "%-10s %7d %8s %8s %10s %10s %8s %11s %13s%n", name, g.videos(), pct(g.colour()), pct(g.shape()),
                pct(g.direction()), pct(g.allThree()), pct(g.found()), num(g.backgroundFlicker()), num(g.areaFlicker())));
    }

    private static String pct(double x) {
        return Double.isNaN(x) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * x);
    }

    private static String num(double x) {
        return Double.isNaN(x) ? "-" : String.format(Locale.ROOT, "%.3f", x);
    }

    /** Settings, the two groups' scores ({@code held_out}, {@code seen}) and every video. */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode s = root.putObject("settings");
        settings.forEach((k, v) -> s.putPOJO(k, v));
        ObjectNode groups = root.putObject("groups");
        group(groups.putObject("held_out"), heldOut());
        group(groups.putObject("seen"), seen());
        ObjectNode confusion = root.putObject("shape_confusion");              // shape asked -> {shape read: videos}
        shapeConfusion().forEach((asked, row) -> {
            ObjectNode o = confusion.putObject(asked.word());
            row.forEach(o::put);
        });
        ArrayNode list = root.putArray("videos");
        for (VideoScore v : videos) {
            ObjectNode o = list.addObject();
            o.put("prompt", v.prompt().prompt());
            o.put("seed", v.seed());
            o.put("group", v.prompt().heldOut() ? "held_out" : "seen");
            combination(o.putObject("expected"), v.prompt().expected());
            ClipDetection d = v.detected();
            ObjectNode det = o.putObject("detected");
            det.put("colour", d.colour() == null ? null : d.colour().word());
            det.put("shape", d.shape() == null ? null : d.shape().word());
            det.put("direction", d.direction() == null ? null : d.direction().word());
            det.put("background", d.background() == null ? null : d.background().word());
            det.put("frames", d.frames());
            det.put("frames_with_shape", d.framesFound());
            det.put("dx", d.dx());
            det.put("dy", d.dy());
            det.put("background_flicker", d.backgroundFlicker());
            det.put("area_flicker", d.areaFlicker());
            o.put("colour_right", v.colourRight());
            o.put("shape_right", v.shapeRight());
            o.put("direction_right", v.directionRight());
            o.put("all_right", v.allRight());
            o.put("seconds", v.seconds());
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException("cannot write the report as JSON: " + e.getMessage(), e);
        }
    }

    private static void group(ObjectNode o, GroupScore g) {
        o.put("videos", g.videos());
        number(o, "colour", g.colour());
        number(o, "shape", g.shape());
        number(o, "direction", g.direction());
        number(o, "all_three", g.allThree());
        number(o, "found", g.found());
        number(o, "background_flicker", g.backgroundFlicker());
        number(o, "area_flicker", g.areaFlicker());
    }

    /** NaN (an empty group) as null: JSON has no NaN. */
    private static void number(ObjectNode o, String key, double x) {
        if (Double.isNaN(x)) {
            o.putNull(key);
        } else {
            o.put(key, x);
        }
    }

    private static void combination(ObjectNode o, Combination c) {
        o.put("colour", c.colour().word());
        o.put("shape", c.shape().word());
        o.put("direction", c.direction().word());
        o.put("background", c.background().word());
    }
}
