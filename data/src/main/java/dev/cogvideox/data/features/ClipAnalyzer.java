package dev.cogvideox.data.features;

import dev.cogvideox.io.video.RgbImage;

/**
 * Measures one clip's {@link ClipFeatures} as its frames stream past, keeping only the previous thumbnails: frame
 * differences and brightness on every frame, motion on frames about 1/8 s apart (CogVideoX's 8 fps), sharpness and
 * the text and flat areas twice a second.
 */
public final class ClipAnalyzer {
    /** Width of the thumbnails differences and motion are measured on. */
    public static final int THUMB_WIDTH = 128;
    static final int DETAIL_WIDTH = 384;
    /**
     * A frame pair in which fewer than {@link #STILL_FRACTION} of the pixels changed by more than {@link #STILL_LEVEL}
     * (coding noise) did not change: a held frame. (A small object moving on a still background is not held.)
     */
    static final double STILL_LEVEL = 4.0 / 255, STILL_FRACTION = 0.002;

    private final double fps;
    private final int motionStride;
    private final int detailStride;
    private int frames, width, height;
    private Gray previous, previousMotion;
    private double diffSum, diffMax, brightness, clipped;
    private int still;
    private double motion, spread, area, sumDx, sumDy, pathLength;
    private int motionPairs;
    private double sharpness, text, flat;
    private int details;

    public ClipAnalyzer(double fps) {
        this.fps = fps;
        this.motionStride = Math.max(1, (int) Math.round(fps / 8));
        this.detailStride = Math.max(1, (int) Math.round(fps / 2));
    }

    /** Adds the next frame; {@code thumb} is its {@link Gray} at {@link #THUMB_WIDTH}. */
    public void add(RgbImage frame, Gray thumb) {
        if (frames == 0) {
            width = frame.width();
            height = frame.height();
        } else {
            double d = thumb.meanAbsDiff(previous);
            diffSum += d;
            diffMax = Math.max(diffMax, d);
            if (thumb.changedFraction(previous, STILL_LEVEL) < STILL_FRACTION) {
                still++;
            }
        }
        brightness += thumb.mean();
        clipped += thumb.clippedFraction();
        if (frames % motionStride == 0) {
            if (previousMotion != null) {
                BlockMotion.Field f = BlockMotion.between(previousMotion, thumb);
                double perSecond = fps / motionStride / thumb.width();           // pixels per pair -> frame widths per second
                motion += f.mean() * perSecond;
                spread += f.spread() * perSecond;
                area += f.movingFraction();
                sumDx += f.dx() * perSecond;
                sumDy += f.dy() * perSecond;
                pathLength += Math.hypot(f.dx(), f.dy()) * perSecond;
                motionPairs++;
            }
            previousMotion = thumb;
        }
        if (frames % detailStride == 0) {
            Gray detail = Gray.of(frame, DETAIL_WIDTH);
            sharpness += detail.laplacianVariance();
            TextAndFlatAreas.Areas a = TextAndFlatAreas.of(detail);
            text += a.text();
            flat += a.flat();
            details++;
        }
        previous = thumb;
        frames++;
    }

    public int frames() {
        return frames;
    }

    public ClipFeatures features() {
        int pairs = Math.max(1, frames - 1), mp = Math.max(1, motionPairs), dn = Math.max(1, details);
        double coherence = pathLength > 1e-9 ? Math.hypot(sumDx, sumDy) / pathLength : 1;
        return new ClipFeatures(frames, frames / fps, width, height, fps, diffSum / pairs, diffMax, frames > 1 ? (double) still / pairs : 1,
                motion / mp, spread / mp, area / mp, coherence, sharpness / dn, brightness / Math.max(1, frames),
                clipped / Math.max(1, frames), text / dn, flat / dn);
    }
}
