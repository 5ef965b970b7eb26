package dev.cogvideox.world.render;

import dev.cogvideox.io.video.RgbImage;
import dev.cogvideox.world.Background;
import dev.cogvideox.world.Colour;
import dev.cogvideox.world.Combination;
import dev.cogvideox.world.Direction;
import dev.cogvideox.world.Rgb;
import dev.cogvideox.world.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class ClipRendererTest {
    /** Shape coverage (sum of per-pixel coverage, from the colour mix) equals the shape's area; the shape is where the spec says. */
    @ParameterizedTest
    @EnumSource(Shape.class)
    void coverageIsTheShapesAreaAndItsCentroidFollowsThePath(Shape shape) {
        SplittableRandom random = ClipSampler.stream(11, shape.ordinal());
        for (int trial = 0; trial < 20; trial++) {
            Direction d = Direction.values()[trial % 4];
            Combination c = new Combination(Colour.WHITE, shape, d, Background.BLACK);
            int w = 48 + 16 * random.nextInt(6), h = 48 + 16 * random.nextInt(6), frames = 5 + 4 * random.nextInt(5);
            ClipSpec spec = ClipSampler.sample(c, w, h, frames, random);
            List<RgbImage> images = ClipRenderer.frames(spec);
            assertThat(images).hasSize(frames);
            double s = spec.size();
            double area = switch (shape) {
                case CIRCLE -> Math.PI * s * s / 4;
                case SQUARE -> s * s;
                case TRIANGLE -> s * s / 2;
            };
            for (int f : new int[]{0, frames - 1}) {
                RgbImage img = images.get(f);
                double cover = 0, mx = 0, my = 0;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        double a = (img.pixels()[3 * (y * w + x)] & 0xff) / 255.0; // white on black: the red channel is the coverage
                        cover += a;
                        mx += a * (x + 0.5);
                        my += a * (y + 0.5);
                    }
                }
                assertThat(cover).as("%s area", spec).isCloseTo(area, offset(0.03 * area + 2));
                // the centroid of the bounding box (circle, square) or of the triangle (2/3 of the way down from its apex)
                double wantY = spec.y(f) + (shape == Shape.TRIANGLE ? s / 6 : 0);
                assertThat(mx / cover).isCloseTo(spec.x(f), offset(0.25));
                assertThat(my / cover).isCloseTo(wantY, offset(0.25));
            }
        }
    }

    @Test
    void framesHoldOnlyTheTwoColoursAndTheirEdgeMixesAndTheSameSeedGivesTheSameClip() {
        Combination c = new Combination(Colour.PURPLE, Shape.TRIANGLE, Direction.UP, Background.GRAY);
        ClipSpec a = ClipSampler.sample(c, 96, 96, 17, ClipSampler.stream(3, 7)), b = ClipSampler.sample(c, 96, 96, 17, ClipSampler.stream(3, 7));
        assertThat(b).isEqualTo(a);
        assertThat(ClipSampler.sample(c, 96, 96, 17, ClipSampler.stream(3, 8))).isNotEqualTo(a);
        RgbImage frame = ClipRenderer.frame(a, 5);
        Rgb bg = Background.GRAY.rgb(), fg = Colour.PURPLE.rgb();
        int full = 0;
        for (int i = 0; i < 96 * 96; i++) {
            int r = frame.pixels()[3 * i] & 0xff, g = frame.pixels()[3 * i + 1] & 0xff, bl = frame.pixels()[3 * i + 2] & 0xff;
            // every pixel is bg + k/16 (fg - bg) for some k
            boolean mix = false;
            for (int k = 0; k <= 16 && !mix; k++) {
                mix = r == (int) Math.round(bg.r() + (fg.r() - bg.r()) * k / 16.0) && g == (int) Math.round(bg.g() + (fg.g() - bg.g()) * k / 16.0)
                        && bl == (int) Math.round(bg.b() + (fg.b() - bg.b()) * k / 16.0);
            }
            assertThat(mix).as("pixel %d (%d, %d, %d)", i, r, g, bl).isTrue();
            full += r == fg.r() && g == fg.g() && bl == fg.b() ? 1 : 0;
        }
        assertThat(full).isGreaterThan(0);
        assertThat(ClipRenderer.frame(a, 5).pixels()).isEqualTo(frame.pixels());
    }

    @Test
    void sampledClipsStayWholeInsideTheFrameAndCrossItFromTheSideBehindThem() {
        SplittableRandom random = ClipSampler.stream(1, 1);
        for (int i = 0; i < 2000; i++) {
            Combination c = Combination.all().get(random.nextInt(Combination.all().size()));
            int w = 32 + 16 * random.nextInt(10), h = 32 + 16 * random.nextInt(10), frames = 5 + 4 * random.nextInt(8);
            ClipSpec s = ClipSampler.sample(c, w, h, frames, random);  // the record refuses a path that leaves the frame
            int shorter = Math.min(w, h);
            assertThat(s.size()).isBetween(0.50 * shorter, 0.62 * shorter);
            Direction d = c.direction();
            int along = d.horizontal() ? w : h;
            double room = along - s.size();
            // over 16 steps (or the clip, if longer) the shape covers 60% to 95% of the room along its direction ...
            double crossing = s.speed() * Math.max(16, frames - 1);
            assertThat(crossing).isBetween(0.6 * 0.999 * room - 1e-9, 0.95 * room);
            // ... starting in what is left of the room behind it
            double start = d.horizontal() ? s.x(0) : s.y(0);
            double behind = (d.dx() > 0 || d.dy() > 0) ? start - s.size() / 2 : along - s.size() / 2 - start;
            assertThat(behind).isBetween(-1e-9, 0.4 * room + 1e-9);
        }
        Combination c = Combination.all().getFirst();
        assertThatThrownBy(() -> new ClipSpec(c, 96, 96, 17, 20, 50, 50, 3)).hasMessageContaining("leaves the 96x96 frame at frame 16");
    }
}
