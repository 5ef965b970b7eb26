package dev.cogvideox.data.rules;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cogvideox.data.features.ClipFeatures;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The filter rules and their thresholds: the defaults ({@code default-rules.json} beside this class), any of them
 * overridden by a user's JSON file of the same shape. Each rule stands for one of the CogVideoX paper's negative tags
 * or its optical-flow and aesthetic score filters:
 * <ul>
 *   <li>{@code static}: the optical flow score filter (too little motion);</li>
 *   <li>{@code slideshow}: "lack of motion connectivity" (held images joined by transitions);</li>
 *   <li>{@code lecture}: "lecture type" (a little motion in a small part of the frame, as a person talking);</li>
 *   <li>{@code text_dominated}: "text dominated";</li>
 *   <li>{@code screen_recording}: "noisy screenshots" (flat panels with text);</li>
 *   <li>{@code blurry}, {@code bad_exposure}, {@code shaky}, {@code low_resolution}: "low quality" (unclear visuals,
 *       excessive camera shake);</li>
 *   <li>{@code low_quality_score}: the image aesthetic score filter (when a scorer is configured);</li>
 *   <li>{@code too_short}: clips too short to train on.</li>
 * </ul>
 * {@code split} holds the scene-cut thresholds and the longest clip. "Editing" (special effects) has no rule: the hard
 * cuts it makes are split on, the rest needs a classifier model.
 */
public final class Rules implements Serializable {
    private static final String DEFAULTS = "default-rules.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Map<String, Double>> thresholds;
    private final Map<String, Boolean> enabled;

    private Rules(Map<String, Map<String, Double>> thresholds, Map<String, Boolean> enabled) {
        this.thresholds = thresholds;
        this.enabled = enabled;
    }

    public static Rules defaults() {
        Rules r = new Rules(new LinkedHashMap<>(), new LinkedHashMap<>());
        try (InputStream in = Rules.class.getResourceAsStream(DEFAULTS)) {
            r.merge(JSON.readTree(in), DEFAULTS, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the built-in " + DEFAULTS + ": " + e.getMessage(), e);
        }
        return r;
    }

    /** The defaults with {@code file}'s values over them; a rule or threshold the defaults do not have is an error naming it. */
    public static Rules read(Path file) {
        Rules r = defaults();
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (JacksonException e) {
            throw new IllegalArgumentException("--rules " + file + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("--rules " + file + ": cannot read it: " + e.getMessage(), e);
        }
        r.merge(root, "--rules " + file, false);
        return r;
    }

    private void merge(JsonNode root, String source, boolean defining) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(source + ": expected a JSON object of rules, e.g. {\"static\": {\"min_motion\": 0.02}}");
        }
        for (Map.Entry<String, JsonNode> rule : root.properties()) {
            if (rule.getKey().startsWith("_")) {
                continue;
            }
            if (!defining && !thresholds.containsKey(rule.getKey())) {
                throw new IllegalArgumentException(source + ": no rule \"" + rule.getKey() + "\" (the rules are " + String.join(", ", thresholds.keySet()) + ")");
            }
            if (!rule.getValue().isObject()) {
                throw new IllegalArgumentException(source + ": \"" + rule.getKey() + "\" must be an object of thresholds, e.g. {\"enabled\": false}");
            }
            Map<String, Double> t = thresholds.computeIfAbsent(rule.getKey(), k -> new LinkedHashMap<>());
            enabled.putIfAbsent(rule.getKey(), true);
            for (Map.Entry<String, JsonNode> e : rule.getValue().properties()) {
                String where = source + ": " + rule.getKey() + "." + e.getKey();
                if (e.getKey().equals("enabled")) {
                    if (!e.getValue().isBoolean()) {
                        throw new IllegalArgumentException(where + " must be true or false, got " + e.getValue());
                    }
                    enabled.put(rule.getKey(), e.getValue().asBoolean());
                } else if (!defining && !t.containsKey(e.getKey())) {
                    throw new IllegalArgumentException(where + ": no such threshold (" + rule.getKey() + " has " + String.join(", ", t.keySet()) + ", enabled)");
                } else if (!e.getValue().isNumber() || !Double.isFinite(e.getValue().asDouble())) {
                    throw new IllegalArgumentException(where + " must be a number, got " + e.getValue());
                } else {
                    t.put(e.getKey(), e.getValue().asDouble());
                }
            }
        }
    }

    /** A threshold; the name is {@code rule.threshold} as in the file. */
    public double get(String rule, String threshold) {
        Double v = thresholds.getOrDefault(rule, Map.of()).get(threshold);
        if (v == null) {
            throw new IllegalStateException("no threshold " + rule + "." + threshold);
        }
        return v;
    }

    public boolean enabled(String rule) {
        return enabled.getOrDefault(rule, false);
    }

    /** The rules as a JSON object of the same shape as the file (for the report and the manifest's record). */
    public String toJson() {
        Map<String, Object> out = new LinkedHashMap<>();
        thresholds.forEach((rule, t) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("enabled", enabled(rule));
            m.putAll(t);
            out.put(rule, m);
        });
        try {
            return JSON.writeValueAsString(out);
        } catch (JacksonException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The rules whose verdict needs the quality score, which is asked for only if the other rules pass. */
    public Verdict judge(ClipFeatures f) {
        List<String> tags = new ArrayList<>(), reasons = new ArrayList<>();
        check(tags, reasons, "too_short", f.seconds() < get("too_short", "min_seconds"),
                "%.2f s < %s s", f.seconds(), get("too_short", "min_seconds"));
        check(tags, reasons, "low_resolution", Math.min(f.width(), f.height()) < get("low_resolution", "min_short_side"),
                "%dx%d, short side < %s", f.width(), f.height(), get("low_resolution", "min_short_side"));
        check(tags, reasons, "blurry", f.sharpness() < get("blurry", "min_sharpness"),
                "sharpness %.5f < %s", f.sharpness(), get("blurry", "min_sharpness"));
        check(tags, reasons, "bad_exposure", f.brightness() < get("bad_exposure", "min_brightness"),
                "brightness %.3f < %s (too dark)", f.brightness(), get("bad_exposure", "min_brightness"));
        if (!tags.contains("bad_exposure")) {
            check(tags, reasons, "bad_exposure", f.brightness() > get("bad_exposure", "max_brightness"),
                    "brightness %.3f > %s (too bright)", f.brightness(), get("bad_exposure", "max_brightness"));
        }
        if (!tags.contains("bad_exposure")) {
            check(tags, reasons, "bad_exposure", f.clipped() > get("bad_exposure", "max_clipped"),
                    "%.2f of the pixels crushed or blown > %s", f.clipped(), get("bad_exposure", "max_clipped"));
        }
        check(tags, reasons, "static", f.motion() < get("static", "min_motion"),
                "motion %.4f frame widths/s < %s", f.motion(), get("static", "min_motion"));
        check(tags, reasons, "slideshow", f.stillFraction() >= get("slideshow", "min_still_fraction") && f.diffMax() >= get("slideshow", "min_change"),
                "%.2f of the frames held (>= %s) between changes of up to %.3f (>= %s)", f.stillFraction(),
                get("slideshow", "min_still_fraction"), f.diffMax(), get("slideshow", "min_change"));
        check(tags, reasons, "lecture", f.motion() >= get("lecture", "min_motion") && f.motionArea() >= get("lecture", "min_motion_area")
                        && f.motionArea() < get("lecture", "max_motion_area"),
                "motion in %.3f of the frame only (< %s)", f.motionArea(), get("lecture", "max_motion_area"));
        check(tags, reasons, "shaky", f.motion() >= get("shaky", "min_motion") && f.motionCoherence() < get("shaky", "max_coherence"),
                "motion %.3f frame widths/s with direction coherence %.2f < %s", f.motion(), f.motionCoherence(), get("shaky", "max_coherence"));
        check(tags, reasons, "text_dominated", f.textArea() > get("text_dominated", "max_text_area"),
                "text in %.3f of the frame > %s", f.textArea(), get("text_dominated", "max_text_area"));
        check(tags, reasons, "screen_recording", f.flatArea() >= get("screen_recording", "min_flat_area") && f.textArea() >= get("screen_recording", "min_text_area"),
                "flat panels in %.2f of the frame (>= %s) with text in %.3f (>= %s)", f.flatArea(), get("screen_recording", "min_flat_area"),
                f.textArea(), get("screen_recording", "min_text_area"));
        return new Verdict(List.copyOf(tags), List.copyOf(reasons));
    }

    /** The score rule, applied after {@link #judge} passed and a scorer gave a score. */
    public Verdict judgeScore(double score) {
        List<String> tags = new ArrayList<>(), reasons = new ArrayList<>();
        check(tags, reasons, "low_quality_score", score < get("low_quality_score", "min_score"),
                "quality score %.2f < %s", score, get("low_quality_score", "min_score"));
        return new Verdict(List.copyOf(tags), List.copyOf(reasons));
    }

    private void check(List<String> tags, List<String> reasons, String rule, boolean fails, String format, Object... args) {
        if (enabled(rule) && fails) {
            tags.add(rule);
            reasons.add(rule + ": " + String.format(Locale.ROOT, format, args));
        }
    }
}
