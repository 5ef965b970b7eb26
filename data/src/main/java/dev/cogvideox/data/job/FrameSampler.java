package dev.cogvideox.data.job;

import dev.cogvideox.data.caption.Captioner;
import dev.cogvideox.io.video.RgbImage;

import java.util.ArrayList;
import java.util.List;

/**
 * Keeps about {@code count} frames spread evenly over a clip of a length not known in advance: every {@code stride}-th
 * frame, the stride doubling (and every other kept frame dropped) whenever more than twice the count are kept; at the
 * end, {@code count} of them evenly. Frames are kept downscaled to at most {@link #MAX_SIDE} pixels, what a captioning
 * model is sent.
 */
final class FrameSampler {
    static final int MAX_SIDE = 512;

    private record Kept(int index, RgbImage image) {
    }

    private final int count;
    private final double fps;
    private final List<Kept> kept = new ArrayList<>();
    private int stride = 1;

    FrameSampler(int count, double fps) {
        this.count = count;
        this.fps = fps;
    }

    void offer(int index, RgbImage frame) {
        if (count == 0 || index % stride != 0) {
            return;
        }
        kept.add(new Kept(index, downscale(frame, MAX_SIDE)));
        if (kept.size() > 2 * count) {
            stride *= 2;
            kept.removeIf(k -> k.index() % stride != 0);
        }
    }

    /** {@code count} frames (fewer if the clip had fewer), evenly spread, with their times. */
    List<Captioner.Frame> frames() {
        List<Captioner.Frame> out = new ArrayList<>();
        int n = Math.min(count, kept.size());
        for (int i = 0; i < n; i++) {
            Kept k = kept.get(n == 1 ? 0 : (int) Math.round(i * (kept.size() - 1) / (double) (n - 1)));
            out.add(new Captioner.Frame(k.image(), k.index() / fps));
        }
        return out;
    }

    /** {@code image} box-downsampled by an integer factor to at most {@code maxSide} on its longer side. */
    static RgbImage downscale(RgbImage image, int maxSide) {
        int f = Math.max(1, (Math.max(image.width(), image.height()) + maxSide - 1) / maxSide);
        if (f == 1) {
            return image;
        }
        int w = image.width() / f, h = image.height() / f;
        byte[] src = image.pixels(), px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    int sum = 0;
                    for (int dy = 0; dy < f; dy++) {
                        for (int dx = 0; dx < f; dx++) {
                            sum += src[(((y * f + dy) * image.width()) + x * f + dx) * 3 + c] & 0xff;
                        }
                    }
                    px[(y * w + x) * 3 + c] = (byte) Math.round(sum / (double) (f * f));
                }
            }
        }
        return new RgbImage(w, h, px);
    }
}
