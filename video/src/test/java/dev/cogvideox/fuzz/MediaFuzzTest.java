package dev.cogvideox.fuzz;

import dev.cogvideox.io.video.MediaReader;
import dev.cogvideox.io.video.VideoOptions;
import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriter;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded mutations of the image and video files the program reads (the other formats are in core's
 * {@code ParserFuzzTest}): each must end in a correct result (checked) or a clean error naming the file, never
 * another exception or a hang. The counts are printed.
 */
class MediaFuzzTest {
    @TempDir
    Path tmp;

    @Test
    void imageMutations() throws IOException {
        SplittableRandom rng = new SplittableRandom(50);
        String[] formats = {"png", "jpg", "bmp", "gif"};
        try (Fuzz fuzz = new Fuzz("images", IllegalArgumentException.class)) {
            for (int i = 0; i < 52; i++) {
                String format = formats[i % formats.length];
                BufferedImage img = new BufferedImage(5 + rng.nextInt(12), 5 + rng.nextInt(12), BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < img.getHeight(); y++) {
                    for (int x = 0; x < img.getWidth(); x++) {
                        img.setRGB(x, y, rng.nextInt(1 << 24));
                    }
                }
                Path file = tmp.resolve("img-" + i + "." + format);
                ImageIO.write(img, format.equals("jpg") ? "jpeg" : format, file.toFile());
                Files.write(file, mutateMedia(Files.readAllBytes(file), rng, i / formats.length));
                fuzz.run("image mutation " + i + " (" + format + ")", file.toString(), () -> {
                    Tensor t = MediaReader.readImage(file);
                    assertThat(t.rank()).isEqualTo(3);
                    assertThat(t.dim(0)).isEqualTo(3);
                    assertThat(inUnitRange(t.data())).as("values in [0, 1]").isTrue();
                });
            }
            System.out.println(fuzz.summary());
            assertThat(fuzz.failures).isEmpty();
            assertThat(fuzz.total()).isGreaterThanOrEqualTo(50);
        }
    }

    @Test
    void videoMutations() throws IOException {
        SplittableRandom rng = new SplittableRandom(5050);
        Path[] originals = {tmp.resolve("v.mp4"), tmp.resolve("v.gif")};
        for (Path p : originals) {
            try (VideoWriter w = VideoWriters.open(VideoOutput.parse(p.toString()), VideoOptions.fps(8))) {
                float[] px = new float[3 * 3 * 16 * 24];
                for (int i = 0; i < px.length; i++) {
                    px[i] = (float) rng.nextDouble();
                }
                w.write(Tensor.of(px, 3, 3, 16, 24));
                w.finish();
            }
        }
        try (Fuzz fuzz = new Fuzz("videos", IllegalArgumentException.class)) {
            for (int i = 0; i < 50; i++) {
                Path original = originals[i % 2];
                Path file = tmp.resolve("vid-" + i + original.getFileName().toString().substring(1));
                Files.write(file, mutateMedia(Files.readAllBytes(original), rng, i / 2));
                fuzz.run("video mutation " + i + " (" + original.getFileName() + ")", file.toString(), () -> {
                    Tensor t = MediaReader.readVideo(file, 9);
                    assertThat(t.rank()).isEqualTo(4);
                    assertThat(t.dim(1)).isEqualTo(3);
                    assertThat(t.dim(0)).isBetween(1, 9);
                    assertThat(inUnitRange(t.data())).as("values in [0, 1]").isTrue();
                });
            }
            System.out.println(fuzz.summary());
            assertThat(fuzz.failures).isEmpty();
            assertThat(fuzz.total()).isEqualTo(50);
        }
    }

    /** Flips, truncation, a zeroed run, a header field set to large values, or random bytes, by {@code kind}. */
    private static byte[] mutateMedia(byte[] b, SplittableRandom rng, int kind) {
        byte[] out = b.clone();
        switch (kind % 6) {
            case 0 -> {
                for (int k = 0, n = 1 + rng.nextInt(6); k < n; k++) {
                    out[rng.nextInt(out.length)] = (byte) rng.nextInt(256);
                }
            }
            case 1 -> out = Arrays.copyOf(b, rng.nextInt(b.length));
            case 2 -> {
                int at = rng.nextInt(out.length);
                Arrays.fill(out, at, Math.min(out.length, at + 1 + rng.nextInt(64)), (byte) 0);
            }
            case 3 -> {
                // sizes live near the start of every format: make some of those bytes large
                for (int k = 0; k < 4; k++) {
                    out[Math.min(out.length - 1, 4 + rng.nextInt(Math.min(40, out.length)))] = (byte) 0x7F;
                }
            }
            case 4 -> out = Arrays.copyOf(b, b.length / 2 + rng.nextInt(b.length / 2 + 1));
            default -> {
                out = new byte[rng.nextInt(300)];
                rng.nextBytes(out);
            }
        }
        return out;
    }

    private static boolean inUnitRange(float[] v) {
        for (float x : v) {
            if (!(x >= 0 && x <= 1)) {
                return false;
            }
        }
        return true;
    }
}
