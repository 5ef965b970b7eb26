package dev.cogvideox.world.detect;

import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.world.Background;
import dev.cogvideox.world.Colour;
import dev.cogvideox.world.Combination;
import dev.cogvideox.world.Direction;
import dev.cogvideox.world.Shape;
import dev.cogvideox.world.render.ClipRenderer;
import dev.cogvideox.world.render.ClipSampler;
import dev.cogvideox.world.render.ClipSpec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

class ClipDetectorTest {
    @Test
    void everyCombinationRenderedAtTheDatasetSizeIsDetectedRight() {
        List<String> wrong = new ArrayList<>();
        List<Combination> all = Combination.all();
        for (int i = 0; i < all.size(); i++) {
            Combination c = all.get(i);
            ClipSpec spec = ClipSampler.sample(c, 96, 96, 17, ClipSampler.stream(0, i));
            ClipDetection d = ClipDetector.detect(ClipRenderer.tensor(spec));
            if (!matches(d, c)) {
                wrong.add(spec + " -> " + d);
            }
            assertThat(d.framesFound()).isEqualTo(17);
            assertThat(d.backgroundFlicker()).isZero();
            assertThat(d.areaFlicker()).isLessThan(0.1);                    // rasterising a moving edge changes the area by a few pixels
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void clipsOfAnySizeLengthAndSpeedAreDetectedRight() {
        SplittableRandom random = ClipSampler.stream(2, 0);
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Combination c = Combination.all().get(random.nextInt(Combination.all().size()));
            int w = 48 + 16 * random.nextInt(8), h = 48 + 16 * random.nextInt(8), frames = 5 + 4 * random.nextInt(7);
            ClipSpec spec = ClipSampler.sample(c, w, h, frames, random);
            ClipDetection d = ClipDetector.detect(ClipRenderer.tensor(spec));
            if (!matches(d, c)) {
                wrong.add(spec + " -> " + d);
            }
        }
        assertThat(wrong).isEmpty();
    }

    /** A generated video is blurry and noisy: the detector must still read a rendered clip through both. */
    @Test
    void blurAndNoiseDoNotChangeTheAnswerAndTheFlickerIsTheNoises() {
        SplittableRandom random = ClipSampler.stream(3, 0);
        Random noise = new Random(3);
        double sigma = 8 / 255.0;
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            Combination c = new Combination(Colour.values()[i % 7], Shape.values()[i % 3], Direction.values()[i % 4], Background.GRAY);
            ClipSpec spec = ClipSampler.sample(c, 96, 96, 17, random);
            Tensor video = blur3x3(ClipRenderer.tensor(spec));
            float[] x = video.data();
            for (int k = 0; k < x.length; k++) {
                x[k] += (float) (sigma * noise.nextGaussian());
            }
            ClipDetection d = ClipDetector.detect(video);
            if (!matches(d, c)) {
                wrong.add(spec + " -> " + d);
            }
            // independent noise in two frames: E|n1 - n2| = sqrt(2) sigma sqrt(2 / pi) = 2 sigma / sqrt(pi), in 8-bit levels
            assertThat(d.backgroundFlicker()).isCloseTo(2 * 8 / Math.sqrt(Math.PI), offset(0.15));
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void wrongClipsAreScoredWrong() {
        Combination asked = new Combination(Colour.RED, Shape.SQUARE, Direction.RIGHT, Background.BLACK);
        ClipSpec spec = ClipSampler.sample(asked, 96, 96, 17, ClipSampler.stream(4, 0));
        Tensor video = ClipRenderer.tensor(spec);
        // played backwards, the square moves left
        ClipDetection reversed = ClipDetector.detect(reverse(video));
        assertThat(reversed.direction()).isEqualTo(Direction.LEFT);
        assertThat(reversed.colour()).isEqualTo(Colour.RED);
        assertThat(reversed.shape()).isEqualTo(Shape.SQUARE);
        // the same path in another colour and shape
        Combination other = new Combination(Colour.ORANGE, Shape.CIRCLE, Direction.RIGHT, Background.BLACK);
        ClipDetection d = ClipDetector.detect(ClipRenderer.tensor(new ClipSpec(other, 96, 96, 17, spec.size(), spec.x0(), spec.y0(), spec.speed())));
        assertThat(d.colour()).isEqualTo(Colour.ORANGE);
        assertThat(d.shape()).isEqualTo(Shape.CIRCLE);
        // a shape that stays put has no direction; an empty frame has no shape
        ClipDetection still = ClipDetector.detect(ClipRenderer.tensor(new ClipSpec(asked, 96, 96, 17, 20, 48, 48, 0)));
        assertThat(still.direction()).isNull();
        assertThat(still.shape()).isEqualTo(Shape.SQUARE);
        ClipDetection empty = ClipDetector.detect(Tensor.zeros(9, 3, 64, 64));
        assertThat(empty.framesFound()).isZero();
        assertThat(empty.colour()).isNull();
        assertThat(empty.background()).isEqualTo(Background.BLACK);
    }

    @Test
    void noiseAndScatteredBlobsShowNoShape() {
        Random random = new Random(5);
        Tensor noise = Tensor.zeros(9, 3, 64, 64);
        float[] x = noise.data();
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextFloat();
        }
        ClipDetection d = ClipDetector.detect(noise);
        assertThat(d.framesFound()).isZero();
        assertThat(d.colour()).isNull();
        // two equal squares in each frame: no region holds more than half the foreground
        Tensor two = Tensor.zeros(9, 3, 64, 64);
        float[] y = two.data();
        for (int f = 0; f < 9; f++) {
            for (int row = 10; row < 20; row++) {
                for (int col = 0; col < 10; col++) {
                    y[f * 3 * 4096 + row * 64 + 10 + col] = 1f;        // red channel: two red squares
                    y[f * 3 * 4096 + (row + 30) * 64 + 40 + col] = 1f;
                }
            }
        }
        assertThat(FrameDetector.detect(y, 0, 64, 64).blob()).isNotNull(); // equal halves: the first still holds half
        for (int f = 0; f < 9; f++) {
            y[f * 3 * 4096 + 50 * 64 + 5] = 1f;                        // one more pixel elsewhere tips it under half
        }
        assertThat(ClipDetector.detect(two).framesFound()).isZero();
    }

    /** The world's largest square (62% of the side), drawn a little large, is a shape; a frame mostly foreground is not. */
    @Test
    void aLargeSquareIsFoundButAFrameMostlyForegroundIsNot() {
        assertThat(centredSquare(72).blob()).isNotNull().satisfies(b -> assertThat(b.shape()).isEqualTo(Shape.SQUARE)); // 56% of the frame
        assertThat(centredSquare(81).blob()).isNull();                                                                   // 71%
    }

    /** A white square of {@code side} pixels in the middle of a black 96x96 frame. */
    private static FrameDetection centredSquare(int side) {
        float[] x = new float[3 * 96 * 96];
        int from = (96 - side) / 2;
        for (int c = 0; c < 3; c++) {
            for (int row = from; row < from + side; row++) {
                java.util.Arrays.fill(x, c * 9216 + row * 96 + from, c * 9216 + row * 96 + from + side, 1f);
            }
        }
        return FrameDetector.detect(x, 0, 96, 96);
    }

    @Test
    void theLargestRegionWinsOverSpeckles() {
        boolean[] mask = new boolean[10 * 10];
        mask[0] = true;                                    // a speckle
        for (int y = 4; y < 7; y++) {
            for (int x = 4; x < 8; x++) {
                mask[y * 10 + x] = true;                    // a 4x3 block
            }
        }
        mask[99] = true;
        assertThat(FrameDetector.largestRegion(mask, 10, 10)).hasSize(12).contains(44, 67);
    }

    private static boolean matches(ClipDetection d, Combination c) {
        return d.colour() == c.colour() && d.shape() == c.shape() && d.direction() == c.direction() && d.background() == c.background();
    }

    private static Tensor reverse(Tensor video) {
        int f = video.dim(0), per = video.numel() / f;
        Tensor out = Tensor.zeros(video.shape());
        for (int i = 0; i < f; i++) {
            System.arraycopy(video.data(), i * per, out.data(), (f - 1 - i) * per, per);
        }
        return out;
    }

    /** A 3x3 box blur of every channel of every frame (edges clamped). */
    private static Tensor blur3x3(Tensor video) {
        int planes = video.dim(0) * 3, h = video.dim(2), w = video.dim(3);
        float[] in = video.data();
        Tensor out = Tensor.zeros(video.shape());
        float[] o = out.data();
        for (int p = 0; p < planes; p++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float sum = 0;
                    for (int dy = -1; dy <= 1; dy++) {
                        for (int dx = -1; dx <= 1; dx++) {
                            int yy = Math.clamp(y + dy, 0, h - 1), xx = Math.clamp(x + dx, 0, w - 1);
                            sum += in[p * h * w + yy * w + xx];
                        }
                    }
                    o[p * h * w + y * w + x] = sum / 9;
                }
            }
        }
        return out;
    }
}
