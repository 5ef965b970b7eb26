package dev.cogvideox.data;

import dev.cogvideox.io.video.RgbImage;
import dev.cogvideox.io.video.VideoOptions;
import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriter;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.tensor.Tensor;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Test videos with known content, written as MP4 through the video module (224x128, 16 fps): a textured pattern in one
 * colour that pans at a given speed, held stills, a slideshow of stills joined by short cross-fades, pages of text,
 * a shaking camera, and hard cuts between scenes. Each scene's colour (red, green, blue, cyan, yellow, magenta) lets the
 * stand-in caption server tell clips apart.
 */
public final class SyntheticVideos {
    public static final int W = 224, H = 128;
    public static final double FPS = 16;

    /** Scene colours: what the stand-in server reads back from the frames it is sent. */
    public static final double[] RED = {1, 0.25, 0.2}, GREEN = {0.2, 1, 0.25}, BLUE = {0.25, 0.3, 1}, YELLOW = {1, 1, 0.2}, MAGENTA = {1, 0.2, 1}, CYAN = {0.2, 1, 1};

    private SyntheticVideos() {
    }

    /** One frame of a two-frequency texture in {@code colour}, shifted by (sx, sy) pixels. */
    public static RgbImage pattern(double[] colour, double sx, double sy, long seed) {
        Random r = new Random(seed);
        double p1 = r.nextDouble() * 6, p2 = r.nextDouble() * 6, p3 = r.nextDouble() * 6;
        byte[] px = new byte[W * H * 3];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                double u = x + sx, v = y + sy;
                // smooth ripples, and fine detail so that the frames are as sharp as camera footage
                double t = 0.5 + 0.2 * Math.sin(u / 5.3 + p1) + 0.15 * Math.sin(v / 4.1 + p2) + 0.15 * Math.sin((u + v) / 7.7 + p3)
                        + 0.08 * Math.sin(u / 1.6) * Math.sin(v / 1.4);
                t = Math.max(0, Math.min(1, t));
                for (int c = 0; c < 3; c++) {
                    px[(y * W + x) * 3 + c] = (byte) Math.round(255 * colour[c] * (0.15 + 0.85 * t));
                }
            }
        }
        return new RgbImage(W, H, px);
    }

    /** A pan at {@code widthsPerSecond} (of the frame width) to the right for {@code seconds}. */
    public static List<RgbImage> pan(double[] colour, double widthsPerSecond, double seconds, long seed) {
        List<RgbImage> out = new ArrayList<>();
        int n = (int) Math.round(seconds * FPS);
        for (int f = 0; f < n; f++) {
            out.add(pattern(colour, f * widthsPerSecond * W / FPS, f * widthsPerSecond * W / FPS / 3, seed));
        }
        return out;
    }

    /** The same frame for {@code seconds}. */
    public static List<RgbImage> still(double[] colour, double seconds, long seed) {
        List<RgbImage> out = new ArrayList<>();
        RgbImage img = pattern(colour, 0, 0, seed);
        for (int f = 0; f < Math.round(seconds * FPS); f++) {
            out.add(img);
        }
        return out;
    }

    /** {@code slides} stills held {@code hold} frames each, joined by {@code fade}-frame cross-fades (no hard cut). */
    public static List<RgbImage> slideshow(int slides, int hold, int fade, long seed) {
        double[][] colours = {RED, GREEN, BLUE, YELLOW, MAGENTA};
        List<RgbImage> out = new ArrayList<>();
        RgbImage prev = null;
        for (int s = 0; s < slides; s++) {
            RgbImage slide = pattern(mix(colours[s % colours.length], 0.5), 0, 0, seed + s);
            if (prev != null) {
                for (int f = 1; f <= fade; f++) {
                    out.add(blend(prev, slide, f / (double) (fade + 1)));
                }
            }
            for (int h = 0; h < hold; h++) {
                out.add(slide);
            }
            prev = slide;
        }
        return out;
    }

    /** A colour moved {@code amount} of the way to grey (slides that differ less than a hard cut). */
    private static double[] mix(double[] c, double amount) {
        return new double[]{c[0] * (1 - amount) + 0.6 * amount, c[1] * (1 - amount) + 0.6 * amount, c[2] * (1 - amount) + 0.6 * amount};
    }

    private static RgbImage blend(RgbImage a, RgbImage b, double t) {
        byte[] px = new byte[a.pixels().length];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) Math.round((a.pixels()[i] & 0xff) * (1 - t) + (b.pixels()[i] & 0xff) * t);
        }
        return new RgbImage(W, H, px);
    }

    /** Lines of black text on white scrolling up a pixel a frame, for {@code seconds}. */
    public static List<RgbImage> text(double seconds) {
        int n = (int) Math.round(seconds * FPS);
        BufferedImage page = new BufferedImage(W, H + n + 20, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = page.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, page.getWidth(), page.getHeight());
        g.setColor(Color.BLACK);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_OFF);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        String[] words = "the quick brown fox jumps over lazy dogs while seven wizards quietly hex my jumbo box".split(" ");
        Random r = new Random(5);
        for (int y = 12; y < page.getHeight(); y += 14) {
            StringBuilder line = new StringBuilder();
            while (line.length() < 40) {
                line.append(words[r.nextInt(words.length)]).append(' ');
            }
            g.drawString(line.toString(), 4, y);
        }
        g.dispose();
        List<RgbImage> out = new ArrayList<>();
        for (int f = 0; f < n; f++) {
            out.add(RgbImage.of(page.getSubimage(0, f, W, H)));
        }
        return out;
    }

    /** A camera shaking: the texture jumps by a random few pixels each frame, going nowhere. */
    public static List<RgbImage> shaky(double[] colour, double seconds, long seed) {
        Random r = new Random(seed);
        List<RgbImage> out = new ArrayList<>();
        for (int f = 0; f < Math.round(seconds * FPS); f++) {
            out.add(pattern(colour, r.nextInt(13) - 6, r.nextInt(9) - 4, seed));
        }
        return out;
    }

    /**
     * A screen capture: flat grey window chrome, a white panel with a few lines of text, and a mouse pointer crossing
     * the screen.
     */
    public static List<RgbImage> screen(double seconds) {
        List<RgbImage> out = new ArrayList<>();
        for (int f = 0; f < Math.round(seconds * FPS); f++) {
            BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_3BYTE_BGR);
            Graphics2D g = img.createGraphics();
            g.setColor(new Color(0xE0E0E0));
            g.fillRect(0, 0, W, H);
            g.setColor(new Color(0x303A48));
            g.fillRect(0, 0, W, 14);
            g.setColor(Color.WHITE);
            g.fillRect(120, 30, 96, 60);
            g.setColor(Color.BLACK);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_OFF);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            for (int line = 0; line < 4; line++) {
                g.drawString("item " + line + ": settings", 124, 44 + 13 * line);
            }
            int x = 10 + f * 4, y = 40 + f;
            g.fillPolygon(new int[]{x, x + 8, x + 3}, new int[]{y, y + 8, y + 10}, 3);
            g.dispose();
            out.add(RgbImage.of(img));
        }
        return out;
    }

    /** {@code frames} with each pixel the mean of a (2r+1)-square around it: out of focus. */
    public static List<RgbImage> blurred(List<RgbImage> frames, int r) {
        List<RgbImage> out = new ArrayList<>();
        for (RgbImage f : frames) {
            byte[] px = new byte[f.pixels().length];
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    for (int c = 0; c < 3; c++) {
                        int sum = 0, n = 0;
                        for (int dy = -r; dy <= r; dy++) {
                            for (int dx = -r; dx <= r; dx++) {
                                int yy = Math.clamp(y + dy, 0, H - 1), xx = Math.clamp(x + dx, 0, W - 1);
                                sum += f.pixels()[(yy * W + xx) * 3 + c] & 0xff;
                                n++;
                            }
                        }
                        px[(y * W + x) * 3 + c] = (byte) Math.round(sum / (double) n);
                    }
                }
            }
            out.add(new RgbImage(W, H, px));
        }
        return out;
    }

    /** {@code frames} with every value scaled by {@code gain}: too dark below 1. */
    public static List<RgbImage> scaled(List<RgbImage> frames, double gain) {
        List<RgbImage> out = new ArrayList<>();
        for (RgbImage f : frames) {
            byte[] px = new byte[f.pixels().length];
            for (int i = 0; i < px.length; i++) {
                px[i] = (byte) Math.min(255, Math.round((f.pixels()[i] & 0xff) * gain));
            }
            out.add(new RgbImage(W, H, px));
        }
        return out;
    }

    @SafeVarargs
    public static List<RgbImage> concat(List<RgbImage>... parts) {
        List<RgbImage> out = new ArrayList<>();
        for (List<RgbImage> p : parts) {
            out.addAll(p);
        }
        return out;
    }

    public static Path write(Path file, List<RgbImage> frames) throws IOException {
        Files.createDirectories(file.getParent());
        try (VideoWriter w = VideoWriters.open(VideoOutput.parse(file.toString()), VideoOptions.fps(FPS))) {
            for (RgbImage f : frames) {
                Tensor t = Tensor.zeros(1, 3, f.height(), f.width());
                f.toChw(t.data(), 0);
                w.write(t);
            }
            w.finish();
        }
        return file;
    }

    /**
     * The test set in {@code dir}: scenes.mp4 (red, green, blue and cyan pans, 1.5 s each, hard cuts between), static.mp4,
     * slideshow.mp4, text.mp4, fast.mp4 (yellow, 0.4 frame widths a second), slow.mp4 (magenta, 0.05), shaky.mp4, and
     * two bad inputs: empty.mp4 (0 bytes) and garbage.mp4 (random bytes).
     */
    public static void writeSet(Path dir) throws IOException {
        write(dir.resolve("scenes.mp4"), concat(pan(RED, 0.2, 1.5, 1), pan(GREEN, 0.2, 1.5, 2), pan(BLUE, 0.2, 1.5, 3),
                pan(CYAN, 0.2, 1.5, 10)));
        write(dir.resolve("static.mp4"), still(RED, 2, 4));
        write(dir.resolve("slideshow.mp4"), slideshow(4, 12, 3, 5));
        write(dir.resolve("text.mp4"), text(2));
        write(dir.resolve("fast.mp4"), pan(YELLOW, 0.4, 2, 6));
        write(dir.resolve("slow.mp4"), pan(MAGENTA, 0.05, 2, 7));
        write(dir.resolve("shaky.mp4"), shaky(RED, 2, 8));
        Files.write(dir.resolve("empty.mp4"), new byte[0]);
        byte[] junk = new byte[4096];
        new Random(9).nextBytes(junk);
        Files.write(dir.resolve("garbage.mp4"), junk);
    }
}
