package dev.cogvideox.data.features;

/**
 * Heuristics over 8x8 blocks of a frame's luma for text and for screen content. A block is text-like when it has strong
 * contrast, its pixels sit near two levels (ink and paper), and its rows cross between them often (glyph strokes: at
 * least {@link #MIN_CROSSINGS_PER_ROW} per 8 pixels on average): natural edges cross once, textures are not two-level.
 * A block is flat when its luma varies by less than {@link #FLAT_RANGE}: camera footage always has some noise, screen
 * captures have large exactly flat areas (windows, panels).
 */
public final class TextAndFlatAreas {
    static final int BLOCK = 8;
    static final double MIN_RANGE = 0.35;
    static final double MIN_TWO_LEVEL = 0.7;
    static final double MIN_CROSSINGS_PER_ROW = 1.5;
    static final double FLAT_RANGE = 2.5 / 255;

    /** Fractions of the blocks that are text-like and flat. */
    public record Areas(double text, double flat) {
    }

    private TextAndFlatAreas() {
    }

    public static Areas of(Gray g) {
        int text = 0, flat = 0, blocks = 0;
        for (int by = 0; by + BLOCK <= g.height(); by += BLOCK) {
            for (int bx = 0; bx + BLOCK <= g.width(); bx += BLOCK) {
                blocks++;
                float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
                for (int y = by; y < by + BLOCK; y++) {
                    for (int x = bx; x < bx + BLOCK; x++) {
                        float p = g.at(x, y);
                        lo = Math.min(lo, p);
                        hi = Math.max(hi, p);
                    }
                }
                double range = hi - lo;
                if (range < FLAT_RANGE) {
                    flat++;
                    continue;
                }
                if (range < MIN_RANGE) {
                    continue;
                }
                int twoLevel = 0, crossings = 0;
                double quarter = range / 4, half = range / 2;
                for (int y = by; y < by + BLOCK; y++) {
                    for (int x = bx; x < bx + BLOCK; x++) {
                        float p = g.at(x, y);
                        if (p < lo + quarter || p > hi - quarter) {
                            twoLevel++;
                        }
                        if (x + 1 < bx + BLOCK && Math.abs(g.at(x + 1, y) - p) >= half) {
                            crossings++;
                        }
                    }
                }
                if (twoLevel >= MIN_TWO_LEVEL * BLOCK * BLOCK && crossings >= MIN_CROSSINGS_PER_ROW * BLOCK) {
                    text++;
                }
            }
        }
        return blocks == 0 ? new Areas(0, 0) : new Areas((double) text / blocks, (double) flat / blocks);
    }
}
