package dev.cogvideox.world.render;

import dev.cogvideox.io.video.RgbImage;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.world.Rgb;
import dev.cogvideox.world.Shape;

import java.util.ArrayList;
import java.util.List;

/**
 * Draws a {@link ClipSpec} as 8-bit frames. Edges are anti-aliased by coverage: each pixel samples its area on a
 * {@value #SUB}x{@value #SUB} grid and mixes shape and background colour by the fraction inside the shape, so a
 * frame has at most {@value #SUB}^2 + 1 colours (exact in a GIF) and sub-pixel motion is smooth.
 */
public final class ClipRenderer {
    static final int SUB = 4;

    private ClipRenderer() {
    }

    /** The clip's frames. */
    public static List<RgbImage> frames(ClipSpec clip) {
        List<RgbImage> out = new ArrayList<>(clip.frames());
        for (int f = 0; f < clip.frames(); f++) {
            out.add(frame(clip, f));
        }
        return out;
    }

    /** The clip as {@code [F, 3, H, W]} in [0, 1], as the pipeline returns videos. */
    public static Tensor tensor(ClipSpec clip) {
        return RgbImage.stack(frames(clip), "clip " + clip.combination());
    }

    /** Frame {@code f} of the clip. */
    public static RgbImage frame(ClipSpec clip, int f) {
        int w = clip.width(), h = clip.height();
        Rgb bg = clip.combination().background().rgb(), fg = clip.combination().colour().rgb();
        byte[] px = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++) {
            px[3 * i] = (byte) bg.r();
            px[3 * i + 1] = (byte) bg.g();
            px[3 * i + 2] = (byte) bg.b();
        }
        double cx = clip.x(f), cy = clip.y(f), half = clip.size() / 2;
        int x0 = Math.max(0, (int) Math.floor(cx - half)), x1 = Math.min(w - 1, (int) Math.ceil(cx + half));
        int y0 = Math.max(0, (int) Math.floor(cy - half)), y1 = Math.min(h - 1, (int) Math.ceil(cy + half));
        Shape shape = clip.combination().shape();
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                int hits = 0;
                for (int sy = 0; sy < SUB; sy++) {
                    double py = y + (sy + 0.5) / SUB - cy;
                    for (int sx = 0; sx < SUB; sx++) {
                        if (inside(shape, x + (sx + 0.5) / SUB - cx, py, half)) {
                            hits++;
                        }
                    }
                }
                if (hits > 0) {
                    double a = hits / (double) (SUB * SUB);
                    int i = 3 * (y * w + x);
                    px[i] = (byte) mix(bg.r(), fg.r(), a);
                    px[i + 1] = (byte) mix(bg.g(), fg.g(), a);
                    px[i + 2] = (byte) mix(bg.b(), fg.b(), a);
                }
            }
        }
        return new RgbImage(w, h, px);
    }

    /** Whether the point {@code (dx, dy)} from the bounding box's centre is inside the shape of half-size {@code half}. */
    static boolean inside(Shape shape, double dx, double dy, double half) {
        return switch (shape) {
            case SQUARE -> Math.abs(dx) <= half && Math.abs(dy) <= half;
            case CIRCLE -> dx * dx + dy * dy <= half * half;
            // apex at the top centre, base along the bottom: the width at depth d below the apex is d
            case TRIANGLE -> dy <= half && Math.abs(dx) <= (dy + half) / 2;
        };
    }

    private static int mix(int bg, int fg, double a) {
        return (int) Math.round(bg + (fg - bg) * a);
    }
}
