package dev.cogvideox.data.features;

import dev.cogvideox.io.video.RgbImage;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The measures on frames with known content: block motion of a known shift, sharpness, the text and flat heuristics, histogram cuts. */
class FeaturesTest {
    /** A smooth random texture (sum of seeded sinusoids) shifted by (sx, sy), as luma. */
    static Gray texture(int w, int h, double sx, double sy, long seed) {
        Random r = new Random(seed);
        double[][] waves = new double[6][4];
        for (double[] wv : waves) {
            wv[0] = 2 * Math.PI / (6 + r.nextDouble() * 20);
            wv[1] = r.nextDouble() * 2 * Math.PI;
            wv[2] = r.nextDouble() * Math.PI;
            wv[3] = r.nextDouble() * 6;
        }
        float[] v = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double t = 0.5;
                for (double[] wv : waves) {
                    t += 0.07 * Math.sin(wv[0] * ((x + sx) * Math.cos(wv[2]) + (y + sy) * Math.sin(wv[2])) + wv[3]);
                }
                v[y * w + x] = (float) t;
            }
        }
        return new Gray(w, h, v);
    }

    @Test
    void blockMotionFindsAKnownShiftToAFractionOfAPixel() {
        for (double[] shift : new double[][]{{3, 0}, {-2, 4}, {0.5, 0}, {0, 0}, {5.5, -1.5}}) {
            BlockMotion.Field f = BlockMotion.between(texture(128, 72, 0, 0, 1), texture(128, 72, -shift[0], -shift[1], 1));
            assertThat(f.dx()).as("dx of " + shift[0]).isCloseTo(shift[0], within(0.2));
            assertThat(f.dy()).as("dy of " + shift[1]).isCloseTo(shift[1], within(0.2));
            assertThat(f.mean()).isCloseTo(Math.hypot(shift[0], shift[1]), within(0.25));
            assertThat(f.blocks()).isBetween(40, 14 * 7);                        // textured, not an edge, their search window inside
        }
    }

    @Test
    void aFlatFrameHasNoTexturedBlockAndNoMotion() {
        Gray flat = new Gray(64, 64, new float[64 * 64]);
        assertThat(BlockMotion.between(flat, flat)).isEqualTo(new BlockMotion.Field(0, 0, 0, 0, 0, 0));
        assertThat(TextAndFlatAreas.of(flat)).isEqualTo(new TextAndFlatAreas.Areas(0, 1));
        assertThat(flat.laplacianVariance()).isZero();
    }

    @Test
    void sharpnessIsTheLaplaciansVariance() {
        // a checkerboard of 0 and 1: the Laplacian is +-4 everywhere inside, variance 16
        float[] v = new float[16 * 16];
        for (int i = 0; i < v.length; i++) {
            v[i] = ((i % 16) + (i / 16)) % 2;
        }
        assertThat(new Gray(16, 16, v).laplacianVariance()).isCloseTo(16, within(1e-9));
        assertThat(texture(64, 64, 0, 0, 2).laplacianVariance()).isLessThan(0.01);
    }

    @Test
    void stripesOfInkOnPaperAreTextAndANaturalEdgeIsNot() {
        // rows of 1-pixel strokes 3 pixels apart (glyph-like), 6 rows inked of every 8
        float[] v = new float[64 * 64];
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                v[y * 64 + x] = (y % 8 < 6 && x % 3 == 0) ? 0 : 1;
            }
        }
        assertThat(TextAndFlatAreas.of(new Gray(64, 64, v)).text()).isEqualTo(1.0);
        float[] edge = new float[64 * 64];
        for (int i = 0; i < edge.length; i++) {
            edge[i] = (i % 64) < 29 ? 0.1f : 0.9f;
        }
        assertThat(TextAndFlatAreas.of(new Gray(64, 64, edge))).isEqualTo(new TextAndFlatAreas.Areas(0, 7 / 8.0));
    }

    @Test
    void theHistogramDistanceIsZeroForTheSameColoursAndOneForDisjointOnes() {
        RgbImage red = solid(200, 10, 10), blue = solid(10, 10, 200);
        assertThat(ColorHistogram.of(red).distance(ColorHistogram.of(red))).isZero();
        assertThat(ColorHistogram.of(red).distance(ColorHistogram.of(blue))).isEqualTo(1.0);
        assertThat(Gray.of(red, 4).width()).isEqualTo(4);
        assertThat(Gray.of(red, 4).mean()).isCloseTo((0.299 * 200 + 0.587 * 10 + 0.114 * 10) / 255, within(1e-6));
    }

    private static RgbImage solid(int r, int g, int b) {
        byte[] px = new byte[16 * 8 * 3];
        for (int i = 0; i < px.length; i += 3) {
            px[i] = (byte) r;
            px[i + 1] = (byte) g;
            px[i + 2] = (byte) b;
        }
        return new RgbImage(16, 8, px);
    }
}
