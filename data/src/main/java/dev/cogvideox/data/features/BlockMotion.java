package dev.cogvideox.data.features;

/**
 * Motion between two frames by block matching, in plain Java (OpenCV's Farneback flow would need OpenCV's natives,
 * which the project does not ship): each 8x8 block of the earlier frame that has texture (a flat block matches
 * anywhere) is looked for within +-{@link #RADIUS} pixels in the later frame by the least sum of absolute
 * differences, preferring the smaller shift when two are nearly as good (so noise does not read as motion), then
 * refined to a fraction of a pixel by one Lucas-Kanade step (the gradients explaining what is left of the difference).
 */
public final class BlockMotion {
    static final int BLOCK = 8;
    static final int RADIUS = 7;
    /** A block with a luma standard deviation below this is flat: its match says nothing. */
    static final double MIN_TEXTURE = 0.02;
    /** A block whose shift is at least this long (pixels) moved. */
    static final double MIN_MOVE = 0.25;
    /** How well a block's gradients must pin both directions down (1: equally; 0: one direction only, an edge). */
    static final double MIN_CONDITION = 0.1;

    /**
     * What one pair of frames showed: the mean and standard deviation of the textured blocks' shift lengths (pixels),
     * the fraction of them that moved (at least {@link #MIN_MOVE}), the mean shift vector, and how many blocks counted (textured, not an edge).
     */
    public record Field(double mean, double spread, double movingFraction, double dx, double dy, int blocks) {
    }

    private BlockMotion() {
    }

    public static Field between(Gray a, Gray b) {
        int w = a.width(), h = a.height();
        double sum = 0, sum2 = 0, sx = 0, sy = 0;
        int moving = 0, blocks = 0;
        // only blocks whose whole search window is in the frame: at the border, the true shift may not be looked at
        for (int by = RADIUS + 1; by + BLOCK + RADIUS + 1 <= h; by += BLOCK) {
            for (int bx = RADIUS + 1; bx + BLOCK + RADIUS + 1 <= w; bx += BLOCK) {
                if (std(a, bx, by) < MIN_TEXTURE) {
                    continue;
                }
                double best = sad(a, b, bx, by, 0, 0);
                int bestX = 0, bestY = 0;
                double bestLen = 0;
                for (int dy = -RADIUS; dy <= RADIUS; dy++) {
                    for (int dx = -RADIUS; dx <= RADIUS; dx++) {
                        if (dx == 0 && dy == 0) {
                            continue;
                        }
                        double s = sad(a, b, bx, by, dx, dy);
                        double len = Math.hypot(dx, dy);
                        // a longer shift must be clearly better; a shorter one only as good
                        if (len > bestLen ? s < best * 0.9 - 1e-3 : s < best) {
                            best = s;
                            bestX = dx;
                            bestY = dy;
                            bestLen = len;
                        }
                    }
                }
                // sub-pixel, by a Lucas-Kanade step; a block with one direction only (an edge) has no one answer and is left out
                double[] sub = subPixel(a, b, bx, by, bestX, bestY);
                if (sub == null) {
                    continue;
                }
                double fx = bestX + sub[0], fy = bestY + sub[1];
                double len = Math.hypot(fx, fy);
                blocks++;
                sum += len;
                sum2 += len * len;
                sx += fx;
                sy += fy;
                if (len >= MIN_MOVE) {
                    moving++;
                }
            }
        }
        if (blocks == 0) {
            return new Field(0, 0, 0, 0, 0, 0);
        }
        double mean = sum / blocks;
        return new Field(mean, Math.sqrt(Math.max(0, sum2 / blocks - mean * mean)), (double) moving / blocks, sx / blocks, sy / blocks, blocks);
    }

    /**
     * The offset in [-0.5, 0.5]^2 from the best integer shift to the true one by one Lucas-Kanade step: the block's
     * difference to the later frame at that shift, explained by the later frame's gradients (least squares); null when
     * the gradients do not pin both directions down (an edge or a stripe: the aperture problem), that is when the
     * smaller eigenvalue of their 2x2 structure tensor is under {@link #MIN_CONDITION} of the larger.
     */
    private static double[] subPixel(Gray a, Gray b, int bx, int by, int dx, int dy) {
        double gxx = 0, gxy = 0, gyy = 0, ex = 0, ey = 0;
        for (int y = by; y < by + BLOCK; y++) {
            for (int x = bx; x < bx + BLOCK; x++) {
                int u = x + dx, v = y + dy;
                double ix = (b.at(u + 1, v) - b.at(u - 1, v)) / 2, iy = (b.at(u, v + 1) - b.at(u, v - 1)) / 2;
                double it = b.at(u, v) - a.at(x, y);
                gxx += ix * ix;
                gxy += ix * iy;
                gyy += iy * iy;
                ex -= ix * it;
                ey -= iy * it;
            }
        }
        double det = gxx * gyy - gxy * gxy, half = (gxx + gyy) / 2, root = Math.sqrt(Math.max(0, half * half - det));
        double small = half - root, large = half + root;
        if (large <= 1e-12 || small < MIN_CONDITION * large) {
            return null;
        }
        double ox = (gyy * ex - gxy * ey) / det, oy = (gxx * ey - gxy * ex) / det;
        return new double[]{Math.max(-0.5, Math.min(0.5, ox)), Math.max(-0.5, Math.min(0.5, oy))};
    }

    private static double std(Gray g, int bx, int by) {
        double s = 0, s2 = 0;
        for (int y = by; y < by + BLOCK; y++) {
            for (int x = bx; x < bx + BLOCK; x++) {
                double p = g.at(x, y);
                s += p;
                s2 += p * p;
            }
        }
        int n = BLOCK * BLOCK;
        double m = s / n;
        return Math.sqrt(Math.max(0, s2 / n - m * m));
    }

    private static double sad(Gray a, Gray b, int bx, int by, int dx, int dy) {
        float[] av = a.v(), bv = b.v();
        int w = a.width();
        double s = 0;
        for (int y = 0; y < BLOCK; y++) {
            int ia = (by + y) * w + bx, ib = (by + y + dy) * w + bx + dx;
            for (int x = 0; x < BLOCK; x++) {
                s += Math.abs(av[ia + x] - bv[ib + x]);
            }
        }
        return s;
    }
}
