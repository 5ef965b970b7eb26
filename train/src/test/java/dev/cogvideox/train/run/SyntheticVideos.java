package dev.cogvideox.train.run;

import dev.cogvideox.io.video.RgbImage;
import dev.cogvideox.io.video.VideoOptions;
import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriter;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.tensor.Tensor;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny dataset in the diffusers layout: GIFs of a colored square moving across a dark background (one color and
 * direction per clip), one PNG still, {@code videos.txt} and {@code prompts.txt}.
 */
final class SyntheticVideos {
    private static final float[][] COLORS = {{1, 0.1f, 0.1f}, {0.1f, 0.9f, 0.2f}, {0.2f, 0.3f, 1}, {1, 0.9f, 0.1f}};
    private static final String[] NAMES = {"red", "green", "blue", "yellow"};

    private SyntheticVideos() {
    }

    /** {@code clips} GIFs of {@code frames} frames of {@code size} x {@code size} pixels plus one PNG still; returns the folder. */
    static Path write(Path dir, int clips, int frames, int size) throws IOException {
        Files.createDirectories(dir.resolve("videos"));
        List<String> videos = new ArrayList<>(), prompts = new ArrayList<>();
        for (int c = 0; c < clips; c++) {
            String file = "videos/clip" + c + ".gif";
            writeGif(dir.resolve(file), square(c, frames, size));
            videos.add(file);
            prompts.add(NAMES[c % NAMES.length] + " square " + (c % 2 == 0 ? "right" : "down"));
        }
        Tensor still = square(0, 1, size);
        ImageIO.write(RgbImage.fromTensor(still, 0).toBufferedImage(), "png", dir.resolve("videos/still.png").toFile());
        videos.add("videos/still.png");
        prompts.add("a red square");
        Files.write(dir.resolve("videos.txt"), videos);
        Files.write(dir.resolve("prompts.txt"), prompts);
        return dir;
    }

    /** {@code [frames, 3, size, size]} in [0, 1]: a square of a quarter of the side moving one step per frame. */
    static Tensor square(int clip, int frames, int size) {
        Tensor t = Tensor.zeros(frames, 3, size, size);
        float[] d = t.data(), color = COLORS[clip % COLORS.length];
        int side = size / 4;
        for (int f = 0; f < frames; f++) {
            int x0 = clip % 2 == 0 ? f * (size - side) / Math.max(1, frames - 1) : size / 3;
            int y0 = clip % 2 == 0 ? size / 3 : f * (size - side) / Math.max(1, frames - 1);
            for (int ch = 0; ch < 3; ch++) {
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        boolean in = x >= x0 && x < x0 + side && y >= y0 && y < y0 + side;
                        d[((f * 3 + ch) * size + y) * size + x] = in ? color[ch] : 0.1f;
                    }
                }
            }
        }
        return t;
    }

    static void writeGif(Path file, Tensor frames) {
        try (VideoWriter w = VideoWriters.open(VideoOutput.parse(file.toString()), VideoOptions.fps(8))) {
            w.write(frames);
            w.finish();
        }
    }
}
