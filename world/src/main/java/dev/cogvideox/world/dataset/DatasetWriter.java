package dev.cogvideox.world.dataset;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cogvideox.io.AtomicFile;
import dev.cogvideox.io.Folders;
import dev.cogvideox.io.video.RgbImage;
import dev.cogvideox.io.video.VideoFormat;
import dev.cogvideox.io.video.VideoOptions;
import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriter;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.world.Combination;
import dev.cogvideox.world.prompt.Captions;
import dev.cogvideox.world.render.ClipRenderer;
import dev.cogvideox.world.render.ClipSampler;
import dev.cogvideox.world.render.ClipSpec;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Writes a dataset of the world in the layout {@code cogvideox train --data DIR} reads:
 * <pre>
 * DIR/videos/000000.gif ...   one clip each (GIF: lossless here, as a frame has at most 17 colours)
 * DIR/videos.txt              videos/000000.gif, one per line
 * DIR/prompts.txt             the caption of the video on the same line
 * DIR/clips.jsonl             per clip: video, caption, and the ground truth (combination, size, path, frames)
 * DIR/world.json              the settings the dataset was rendered with
 * </pre>
 * Clip {@code i} is a function of {@code (seed, i)}: its combination comes from a seeded shuffle of the pool (every
 * combination once per round, so the pool is covered evenly), then its frame count, path and caption from the
 * clip's own stream. The folder appears whole or not at all (it is written under a temporary name and renamed).
 */
public final class DatasetWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DatasetWriter() {
    }

    /** One clip of a dataset: what {@code clips.jsonl} says about it. */
    public record Clip(String video, String caption, ClipSpec spec) {
    }

    /** Clip {@code index} of the dataset {@code settings} describes (without rendering it). */
    public static Clip clip(DatasetSettings settings, int index) {
        List<Combination> pool = settings.combinations();
        int round = index / pool.size();
        List<Combination> order = new ArrayList<>(pool);
        shuffle(order, ClipSampler.stream(settings.seed(), -1L - round));
        Combination c = order.get(index % pool.size());
        SplittableRandom random = ClipSampler.stream(settings.seed(), index);
        int frames = settings.frames().get(random.nextInt(settings.frames().size()));
        ClipSpec spec = ClipSampler.sample(c, settings.width(), settings.height(), frames, random);
        String caption = settings.canonical() ? c.prompt() : Captions.caption(c, random);
        return new Clip(String.format("videos/%06d.gif", index), caption, spec);
    }

    /** Renders the dataset into {@code out}, which must not exist or be an empty folder; returns {@code out}. */
    public static Path write(Path out, DatasetSettings settings, ProgressListener progress, CancellationToken cancel) {
        Path target = out.toAbsolutePath();
        if (Files.exists(target) && !Folders.isEmptyDirectory(target)) {
            throw new IllegalArgumentException("--out " + out + ": exists and is not an empty folder; a dataset goes to a new folder");
        }
        Path tmp = null;
        try {
            Files.createDirectories(target.getParent());
            tmp = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".");
            AtomicFile.makeOrdinary(tmp);
            Files.createDirectories(tmp.resolve("videos"));
            progress.onStart("rendering clips", settings.clips());
            try (BufferedWriter videos = Files.newBufferedWriter(tmp.resolve("videos.txt"));
                 BufferedWriter prompts = Files.newBufferedWriter(tmp.resolve("prompts.txt"));
                 BufferedWriter labels = Files.newBufferedWriter(tmp.resolve("clips.jsonl"))) {
                for (int i = 0; i < settings.clips(); i++) {
                    cancel.throwIfCancelled();
                    Clip clip = clip(settings, i);
                    writeGif(tmp.resolve(clip.video()), ClipRenderer.frames(clip.spec()), settings.fps());
                    videos.write(clip.video() + "\n");
                    prompts.write(clip.caption() + "\n");
                    labels.write(JSON.writeValueAsString(label(clip)) + "\n");
                    progress.onProgress(i + 1);
                }
            } finally {
                progress.onEnd();
            }
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve("world.json").toFile(), settingsJson(settings));
            if (Files.exists(target)) {
                Files.delete(target); // the empty folder checked above
            }
            Files.move(tmp, target);
            tmp = null;
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the dataset " + target + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                deleteTree(tmp);
            }
        }
    }

    /** Writes one clip's frames to a GIF (or MP4, or PNG folder, by {@code file}'s name) at {@code fps}. */
    public static void writeVideo(VideoOutput output, List<RgbImage> frames, double fps) {
        try (VideoWriter w = VideoWriters.open(output, VideoOptions.fps(fps))) {
            w.write(RgbImage.stack(frames, output.path().toString()));
            w.finish();
        }
    }

    private static void writeGif(Path file, List<RgbImage> frames, double fps) {
        writeVideo(new VideoOutput(file, VideoFormat.GIF), frames, fps);
    }

    private static ObjectNode label(Clip clip) {
        ClipSpec s = clip.spec();
        Combination c = s.combination();
        ObjectNode o = JSON.createObjectNode();
        o.put("video", clip.video());
        o.put("caption", clip.caption());
        o.put("prompt", c.prompt());
        o.put("colour", c.colour().word());
        o.put("shape", c.shape().word());
        o.put("direction", c.direction().word());
        o.put("background", c.background().word());
        o.put("frames", s.frames());
        o.put("width", s.width());
        o.put("height", s.height());
        o.put("size", s.size());
        o.put("x0", s.x0());
        o.put("y0", s.y0());
        o.put("speed", s.speed());
        return o;
    }

    private static ObjectNode settingsJson(DatasetSettings s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("world", "one shape moving on a plain background (cogvideox world dataset)");
        o.put("clips", s.clips());
        o.put("seed", s.seed());
        o.put("width", s.width());
        o.put("height", s.height());
        s.frames().forEach(o.putArray("frames")::add);
        o.put("fps", s.fps());
        o.put("combinations", s.heldOut() ? "held-out" : "seen");
        o.put("only", s.only().toString());
        o.put("captions", s.canonical() ? "canonical" : "reworded");
        return o;
    }

    /** Fisher-Yates with the given stream. */
    private static <T> void shuffle(List<T> list, SplittableRandom random) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }


    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // best effort: the folder is hidden
        }
    }
}
