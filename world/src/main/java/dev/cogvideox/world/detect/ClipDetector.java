package dev.cogvideox.world.detect;

import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.world.Background;
import dev.cogvideox.world.Colour;
import dev.cogvideox.world.Direction;
import dev.cogvideox.world.Shape;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What a whole clip shows, from the {@link FrameDetector} of each frame:
 * <ul>
 *   <li>a shape at all: found in at least half the frames, else colour, shape and direction are unknown;</li>
 *   <li>background, colour and shape: the most frequent per-frame answer (ties to the first in enum order);</li>
 *   <li>direction: the least-squares line through the centroid track; the axis with the larger displacement and its
 *       sign, provided that displacement is at least {@value #MIN_TRAVEL} of the frame's shorter side (the world's
 *       shapes travel at least 25%), else unknown;</li>
 *   <li>flicker: see {@link ClipDetection}. Pixels within {@value #EDGE} pixels (4-connected steps) of a foreground
 *       pixel of either frame are not counted as background, so a moving shape's anti-aliased (or blurred) edge is not
 *       mistaken for flicker.</li>
 * </ul>
 */
public final class ClipDetector {
    static final double MIN_TRAVEL = 0.05;
    static final int EDGE = 2;

    private ClipDetector() {
    }

    /** The clip {@code [F, 3, H, W]} with values in [0, 1], as the pipeline returns one video. */
    public static ClipDetection detect(Tensor video) {
        if (video.rank() != 4 || video.dim(1) != 3) {
            throw new IllegalArgumentException("a clip must be [F, 3, H, W], got " + video);
        }
        int frames = video.dim(0), height = video.dim(2), width = video.dim(3);
        float[] data = video.data();
        List<FrameDetection> dets = new ArrayList<>(frames);
        for (int f = 0; f < frames; f++) {
            dets.add(FrameDetector.detect(data, f, height, width));
        }
        Background background = vote(dets, FrameDetection::background, Background.values());
        List<Integer> found = new ArrayList<>();
        for (int f = 0; f < frames; f++) {
            if (dets.get(f).blob() != null) {
                found.add(f);
            }
        }
        double bgFlicker = backgroundFlicker(data, dets, height, width);
        double areaFlicker = areaFlicker(dets);
        if (found.size() * 2 < frames) {
            return new ClipDetection(background, null, null, null, frames, found.size(), 0, 0, bgFlicker, areaFlicker);
        }
        Colour colour = vote(dets, d -> d.blob() == null ? null : d.blob().colour(), Colour.values());
        Shape shape = vote(dets, d -> d.blob() == null ? null : d.blob().shape(), Shape.values());
        double dx = slope(found, dets, true) * (frames - 1), dy = slope(found, dets, false) * (frames - 1);
        Direction direction = null;
        if (Math.max(Math.abs(dx), Math.abs(dy)) >= MIN_TRAVEL * Math.min(height, width)) {
            direction = Math.abs(dx) >= Math.abs(dy) ? (dx < 0 ? Direction.LEFT : Direction.RIGHT) : (dy < 0 ? Direction.UP : Direction.DOWN);
        }
        return new ClipDetection(background, colour, shape, direction, frames, found.size(), dx, dy, bgFlicker, areaFlicker);
    }

    private static <T extends Enum<T>> T vote(List<FrameDetection> dets, Function<FrameDetection, T> answer, T[] values) {
        int[] counts = new int[values.length];
        for (FrameDetection d : dets) {
            T a = answer.apply(d);
            if (a != null) {
                counts[a.ordinal()]++;
            }
        }
        int best = 0;
        for (int i = 1; i < counts.length; i++) {
            if (counts[i] > counts[best]) {
                best = i;
            }
        }
        return counts[best] == 0 ? null : values[best];
    }

    /** Least-squares slope (pixels per frame) of the centroid's x (or y) over the frames where a shape was found. */
    private static double slope(List<Integer> found, List<FrameDetection> dets, boolean x) {
        int n = found.size();
        if (n < 2) {
            return 0;
        }
        double mt = 0, mv = 0;
        for (int f : found) {
            Blob b = dets.get(f).blob();
            mt += f;
            mv += x ? b.cx() : b.cy();
        }
        mt /= n;
        mv /= n;
        double stv = 0, stt = 0;
        for (int f : found) {
            Blob b = dets.get(f).blob();
            stv += (f - mt) * ((x ? b.cx() : b.cy()) - mv);
            stt += (f - mt) * (f - mt);
        }
        return stv / stt;
    }

    private static double backgroundFlicker(float[] data, List<FrameDetection> dets, int height, int width) {
        int plane = height * width;
        double sum = 0;
        int pairs = 0;
        boolean[] prev = grow(dets.getFirst().foreground(), height, width);
        for (int f = 1; f < dets.size(); f++) {
            boolean[] cur = grow(dets.get(f).foreground(), height, width);
            double diff = 0;
            long n = 0;
            int a = (f - 1) * 3 * plane, b = f * 3 * plane;
            for (int p = 0; p < plane; p++) {
                if (!prev[p] && !cur[p]) {
                    for (int c = 0; c < 3; c++) {
                        diff += Math.abs(data[b + c * plane + p] - data[a + c * plane + p]);
                    }
                    n += 3;
                }
            }
            if (n > 0) {
                sum += 255 * diff / n;
                pairs++;
            }
            prev = cur;
        }
        return pairs == 0 ? 0 : sum / pairs;
    }

    private static double areaFlicker(List<FrameDetection> dets) {
        double change = 0, total = 0;
        int pairs = 0, found = 0;
        for (int f = 0; f < dets.size(); f++) {
            Blob b = dets.get(f).blob();
            if (b != null) {
                total += b.area();
                found++;
                Blob prev = f > 0 ? dets.get(f - 1).blob() : null;
                if (prev != null) {
                    change += Math.abs(b.area() - prev.area());
                    pairs++;
                }
            }
        }
        return pairs == 0 ? 0 : (change / pairs) / (total / found);
    }

    /** The mask grown by {@link #EDGE} steps. */
    private static boolean[] grow(boolean[] mask, int height, int width) {
        boolean[] out = mask;
        for (int i = 0; i < EDGE; i++) {
            out = dilate(out, height, width);
        }
        return out;
    }

    /** The mask grown by one pixel in each of the four directions. */
    private static boolean[] dilate(boolean[] mask, int height, int width) {
        boolean[] out = mask.clone();
        for (int p = 0; p < mask.length; p++) {
            if (mask[p]) {
                int x = p % width, y = p / width;
                if (x > 0) {
                    out[p - 1] = true;
                }
                if (x < width - 1) {
                    out[p + 1] = true;
                }
                if (y > 0) {
                    out[p - width] = true;
                }
                if (y < height - 1) {
                    out[p + width] = true;
                }
            }
        }
        return out;
    }
}
