package dev.cogvideox.data.job;

import dev.cogvideox.data.rules.Rules;
import dev.cogvideox.io.AtomicFile;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code report.html}: one self-contained page (inline SVG, no script, no outside file) of what a run did: the counts,
 * how many clips each rule rejected (and how many it alone rejected), the failures, and the distribution of each
 * feature over the clips, kept and rejected stacked, with the rule's threshold marked.
 */
final class Report {
    static final String NAME = "report.html";
    private static final int BINS = 24;

    /** A feature plotted: its label, how to read it from a clip, and the rule thresholds drawn on it ({@code rule.threshold}). */
    private record Plot(String label, Function<ClipRow, Double> value, List<String> thresholds) {
    }

    private Report() {
    }

    static void write(Path dir, List<ClipRow> rows, Rules rules, int inputs) {
        String html = html(rows, rules, inputs);
        AtomicFile.write(dir.resolve(NAME), tmp -> Files.writeString(tmp, html, StandardCharsets.UTF_8));
    }

    static String html(List<ClipRow> rows, Rules rules, int inputs) {
        List<ClipRow> clips = rows.stream().filter(r -> r.features() != null).toList();
        long kept = rows.stream().filter(ClipRow::kept).count();
        long rejected = rows.stream().filter(r -> ClipRow.REJECTED.equals(r.status())).count();
        List<ClipRow> failed = rows.stream().filter(r -> ClipRow.FAILED.equals(r.status())).toList();
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>cogvideox data prepare: report</title>\n<style>")
                .append("body{font:14px sans-serif;margin:24px;max-width:1100px}table{border-collapse:collapse}td,th{padding:3px 10px;")
                .append("border-bottom:1px solid #ddd;text-align:left}.n{text-align:right}.plots{display:flex;flex-wrap:wrap;gap:18px}")
                .append("figure{margin:0}figcaption{font-weight:bold}</style></head><body>\n");
        h.append("<h1>Data pipeline report</h1>\n<p>").append(inputs).append(" input videos, ").append(clips.size()).append(" clips: <b>")
                .append(kept).append(" kept</b>, ").append(rejected).append(" rejected by the rules, ").append(failed.size())
                .append(" failed (inputs that could not be read, clips the scorer or captioner could not answer for).</p>\n");

        // clips each rule rejected, and those it alone rejected
        Map<String, int[]> byRule = new LinkedHashMap<>();
        for (ClipRow r : rows) {
            for (String t : r.tags()) {
                int[] c = byRule.computeIfAbsent(t, k -> new int[2]);
                c[0]++;
                if (r.tags().size() == 1) {
                    c[1]++;
                }
            }
        }
        h.append("<h2>Clips each rule removed</h2>\n");
        if (byRule.isEmpty()) {
            h.append("<p>No rule rejected a clip.</p>\n");
        } else {
            h.append(bars(byRule)).append("\n<table><tr><th>rule</th><th class=\"n\">clips</th><th class=\"n\">by this rule alone</th></tr>\n");
            byRule.forEach((rule, c) -> h.append("<tr><td>").append(rule).append("</td><td class=\"n\">").append(c[0])
                    .append("</td><td class=\"n\">").append(c[1]).append("</td></tr>\n"));
            h.append("</table>\n");
        }
        if (!failed.isEmpty()) {
            h.append("<h2>Failures</h2>\n<table><tr><th>input</th><th>clip</th><th>reason</th></tr>\n");
            for (ClipRow r : failed) {
                h.append("<tr><td>").append(esc(r.input())).append("</td><td>").append(r.clipIndex() < 0 ? "" : r.clipIndex())
                        .append("</td><td>").append(esc(String.join("; ", r.reasons()))).append("</td></tr>\n");
            }
            h.append("</table>\n");
        }
        h.append("<h2>Feature distributions</h2>\n<p>Clips kept (green) and rejected (red) stacked; dashed lines are the rules' thresholds.</p>\n<div class=\"plots\">\n");
        List<Plot> plots = List.of(
                new Plot("motion (frame widths/s)", r -> r.features().motion(), List.of("static.min_motion", "shaky.min_motion")),
                new Plot("motion spread", r -> r.features().motionSpread(), List.of()),
                new Plot("moving area", r -> r.features().motionArea(), List.of("lecture.max_motion_area")),
                new Plot("motion coherence", r -> r.features().motionCoherence(), List.of("shaky.max_coherence")),
                new Plot("held frames (fraction)", r -> r.features().stillFraction(), List.of("slideshow.min_still_fraction")),
                new Plot("largest frame change", r -> r.features().diffMax(), List.of("slideshow.min_change")),
                new Plot("sharpness (Laplacian variance)", r -> r.features().sharpness(), List.of("blurry.min_sharpness")),
                new Plot("brightness", r -> r.features().brightness(), List.of("bad_exposure.min_brightness", "bad_exposure.max_brightness")),
                new Plot("text area", r -> r.features().textArea(), List.of("text_dominated.max_text_area", "screen_recording.min_text_area")),
                new Plot("flat area", r -> r.features().flatArea(), List.of("screen_recording.min_flat_area")),
                new Plot("duration (s)", r -> r.features().seconds(), List.of("too_short.min_seconds")),
                new Plot("quality score", ClipRow::qualityScore, List.of("low_quality_score.min_score")));
        for (Plot p : plots) {
            h.append(histogram(p, clips, rules));
        }
        h.append("</div>\n<h2>Rules</h2>\n<pre>").append(esc(rules.toJson().replace("},", "},\n"))).append("</pre>\n</body></html>\n");
        return h.toString();
    }

    private static String bars(Map<String, int[]> byRule) {
        int max = byRule.values().stream().mapToInt(c -> c[0]).max().orElse(1);
        int rowH = 22, w = 640, label = 150;
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "role=\"img\" aria-label=\"clips each rule removed\">", w, rowH * byRule.size() + 4));
        int y = 2;
        for (Map.Entry<String, int[]> e : byRule.entrySet()) {
            double len = (w - label - 60) * e.getValue()[0] / (double) max;
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"12\">%s</text>", label - 6, y + 15, esc(e.getKey())));
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#c0392b\"/>", label, y + 3, len, rowH - 6));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\">%d</text>", label + len + 5, y + 15, e.getValue()[0]));
            y += rowH;
        }
        return s.append("</svg>").toString();
    }

    private static String histogram(Plot p, List<ClipRow> clips, Rules rules) {
        List<double[]> values = new ArrayList<>();                 // value, kept (1) or not (0)
        for (ClipRow r : clips) {
            Double v = p.value().apply(r);
            if (v != null && Double.isFinite(v)) {
                values.add(new double[]{v, r.kept() ? 1 : 0});
            }
        }
        StringBuilder s = new StringBuilder("<figure><figcaption>").append(esc(p.label())).append("</figcaption>");
        if (values.isEmpty()) {
            return s.append("<p>no values</p></figure>\n").toString();
        }
        List<Double> marks = new ArrayList<>();
        for (String t : p.thresholds()) {
            String[] rt = t.split("\\.");
            if (rules.enabled(rt[0])) {
                marks.add(rules.get(rt[0], rt[1]));
            }
        }
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (double[] v : values) {
            lo = Math.min(lo, v[0]);
            hi = Math.max(hi, v[0]);
        }
        for (double m : marks) {
            lo = Math.min(lo, m);
            hi = Math.max(hi, m);
        }
        if (hi - lo < 1e-12) {
            hi = lo + 1;
        }
        int[][] counts = new int[BINS][2];
        for (double[] v : values) {
            int b = Math.min(BINS - 1, (int) ((v[0] - lo) / (hi - lo) * BINS));
            counts[b][(int) v[1]]++;
        }
        int max = 1;
        for (int[] c : counts) {
            max = Math.max(max, c[0] + c[1]);
        }
        int w = 320, h = 150, left = 30, bottom = 20, plotW = w - left - 10, plotH = h - bottom - 10;
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\">",
                w, h, esc(p.label())));
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>", left, 10 + plotH, left + plotW, 10 + plotH));
        double bw = plotW / (double) BINS;
        for (int b = 0; b < BINS; b++) {
            double x = left + b * bw;
            double keptH = plotH * counts[b][1] / (double) max, rejH = plotH * counts[b][0] / (double) max;
            if (counts[b][1] > 0) {
                s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#27ae60\"/>", x, 10 + plotH - keptH, bw - 1, keptH));
            }
            if (counts[b][0] > 0) {
                s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#c0392b\"/>", x,
                        10 + plotH - keptH - rejH, bw - 1, rejH));
            }
        }
        for (double m : marks) {
            double x = left + (m - lo) / (hi - lo) * plotW;
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"10\" x2=\"%.1f\" y2=\"%d\" stroke=\"#2c3e50\" stroke-dasharray=\"4 3\"/>", x, x, 10 + plotH));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>", left, h - 4, num(lo)));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s</text>", left + plotW, h - 4, num(hi)));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"11\" text-anchor=\"end\">%d</text>", left - 4, max));
        return s.append("</svg></figure>\n").toString();
    }

    private static String num(double v) {
        return Math.abs(v) >= 100 || v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.4g", v);
    }

    static String esc(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
