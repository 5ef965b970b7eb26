package dev.cogvideox.data.job;

import dev.cogvideox.data.caption.Captioner;
import dev.cogvideox.data.caption.ChatException;
import dev.cogvideox.data.features.ClipAnalyzer;
import dev.cogvideox.data.features.ClipFeatures;
import dev.cogvideox.data.features.ColorHistogram;
import dev.cogvideox.data.features.Gray;
import dev.cogvideox.data.rules.Rules;
import dev.cogvideox.data.rules.Verdict;
import dev.cogvideox.io.video.RgbImage;
import dev.cogvideox.io.video.VideoFrameReader;
import dev.cogvideox.io.video.VideoOptions;
import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriter;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.tensor.Tensor;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32;

/**
 * One input video to clips, in one pass over its frames: a clip ends at a hard cut (the colour histogram and the luma
 * both jump between two frames), at the rules' longest clip, or at the end. Each clip's frames are encoded to its file
 * as they come (MP4, the input's size and frame rate) while its features are measured; the rules then judge it, a
 * clip they keep is scored and captioned, and only a clip kept to the end is published (written whole, under its
 * name); the others leave no file. An input that cannot be read is one failed row with the reason; a failure of the
 * scorer or the captioner fails that clip alone.
 */
public final class VideoTask {
    private final ClipSettings settings;
    private final String executor;
    private final Captioner captioner;

    public VideoTask(ClipSettings settings, String executor) {
        this.settings = settings;
        this.executor = executor;
        this.captioner = settings.captions() == null ? null : new Captioner(settings.captions());
    }

    /** The clip files of {@code input}: {@code clips/<name>-<8 hex of the path's CRC>-<NNN>.mp4}. */
    static String clipName(String input, int index) {
        String name = Path.of(input).getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = (dot > 0 ? name.substring(0, dot) : name).replaceAll("[^A-Za-z0-9._-]", "_");
        CRC32 crc = new CRC32();
        crc.update(input.getBytes(StandardCharsets.UTF_8));
        return String.format(Locale.ROOT, "%s/%s-%08x-%03d.mp4", ClipSettings.CLIPS, stem.length() > 60 ? stem.substring(0, 60) : stem,
                crc.getValue(), index);
    }

    public List<ClipRow> run(String input) {
        List<ClipRow> rows = new ArrayList<>();
        VideoFrameReader reader;
        try {
            reader = VideoFrameReader.open(Path.of(input));
        } catch (IllegalArgumentException | IllegalStateException e) {
            rows.add(failed(input, e.getMessage()));
            return rows;
        }
        Rules rules = settings.rules();
        double minColor = rules.get("split", "min_color_change"), minLuma = rules.get("split", "min_luma_change");
        int maxFrames = Math.max(1, (int) Math.round(rules.get("split", "max_seconds") * reader.fps()));
        Clip clip = null;
        int index = 0;
        try (reader) {
            RgbImage frame;
            ColorHistogram prevHist = null;
            Gray prevThumb = null;
            long t0 = System.nanoTime();
            while ((frame = reader.next()) != null) {
                Gray thumb = Gray.of(frame, ClipAnalyzer.THUMB_WIDTH);
                ColorHistogram hist = ColorHistogram.of(frame);
                long measuring = System.nanoTime() - t0;                        // decoding and cut detection
                boolean cut = prevHist != null && hist.distance(prevHist) >= minColor && thumb.meanAbsDiff(prevThumb) >= minLuma;
                if (clip != null && (cut || clip.analyzer.frames() >= maxFrames || frame.width() != clip.width || frame.height() != clip.height)) {
                    rows.add(clip.finish());
                    clip = null;
                }
                if (clip == null) {
                    clip = new Clip(input, rows.size(), index / reader.fps(), reader.fps(), frame);
                }
                clip.featureNanos += measuring;
                clip.add(frame, thumb);
                prevHist = hist;
                prevThumb = thumb;
                index++;
                t0 = System.nanoTime();
            }
            if (clip != null) {
                rows.add(clip.finish());
                clip = null;
            }
        } catch (IllegalArgumentException e) {
            // a damaged stream: the clips before the damage stand
            rows.add(failed(input, e.getMessage() + " (after frame " + index + "; the clips before it are kept)"));
        } finally {
            if (clip != null) {
                clip.writer.close();
            }
        }
        if (rows.isEmpty()) {
            rows.add(failed(input, "video " + input + ": has no frames"));
        }
        return rows;
    }

    private ClipRow failed(String input, String reason) {
        return new ClipRow(input, -1, null, ClipRow.FAILED, List.of(), List.of(reason), 0, null, null, null, null, null, executor, 0);
    }

    /** A clip being read: its writer, its analyzer, its sampled frames. */
    private final class Clip {
        final String input;
        final int number;
        final double start;
        final int width, height;
        final String name;
        final ClipAnalyzer analyzer;
        final FrameSampler sampler;
        final VideoWriter writer;
        long featureNanos;

        Clip(String input, int number, double start, double fps, RgbImage first) {
            this.input = input;
            this.number = number;
            this.start = start;
            this.width = first.width();
            this.height = first.height();
            this.name = clipName(input, number);
            this.analyzer = new ClipAnalyzer(fps);
            this.sampler = new FrameSampler(settings.captionFrames(), fps);
            this.writer = VideoWriters.open(VideoOutput.parse(Path.of(settings.outputDir()).resolve(name).toString()), VideoOptions.fps(fps));
        }

        void add(RgbImage frame, Gray thumb) {
            Tensor t = Tensor.zeros(1, 3, frame.height(), frame.width());
            frame.toChw(t.data(), 0);
            writer.write(t);
            long t0 = System.nanoTime();
            sampler.offer(analyzer.frames(), frame);
            analyzer.add(frame, thumb);
            featureNanos += System.nanoTime() - t0;
        }

        ClipRow finish() {
            try (writer) {
                ClipFeatures f = analyzer.features();
                Verdict v = settings.rules().judge(f);
                if (!v.kept()) {
                    return row(ClipRow.REJECTED, v.tags(), v.reasons(), f, null, null);
                }
                if (captioner == null) {
                    writer.finish();
                    return row(ClipRow.KEPT, List.of(), List.of(), f, null, null);
                }
                List<Captioner.Frame> frames = sampler.frames();
                Double score = null;
                if (settings.captions().score()) {
                    try {
                        score = captioner.score(frames);
                    } catch (ChatException e) {
                        return row(ClipRow.FAILED, List.of(), List.of("quality score: " + e.getMessage()), f, null, null);
                    }
                    Verdict s = settings.rules().judgeScore(score);
                    if (!s.kept()) {
                        return row(ClipRow.REJECTED, s.tags(), s.reasons(), f, score, null);
                    }
                }
                Captioner.Captions c;
                try {
                    c = captioner.caption(frames);
                } catch (ChatException e) {
                    return row(ClipRow.FAILED, List.of(), List.of("caption: " + e.getMessage()), f, score, null);
                }
                writer.finish();
                return row(ClipRow.KEPT, List.of(), List.of(), f, score, c);
            }
        }

        private ClipRow row(String status, List<String> tags, List<String> reasons, ClipFeatures f, Double score, Captioner.Captions c) {
            return new ClipRow(input, number, ClipRow.KEPT.equals(status) ? name : null, status, tags, reasons, start, f, score,
                    c == null ? null : c.shortCaption(), c == null ? null : c.frameCaptions(), c == null ? null : c.caption(), executor, featureNanos / 1e9);
        }
    }
}
