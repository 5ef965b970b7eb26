package dev.cogvideox.pipeline;

import dev.cogvideox.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

class ImagePreprocessTest {
    private static Tensor white(int h, int w) {
        float[] v = new float[3 * h * w];
        Arrays.fill(v, 1f);
        return Tensor.of(v, 3, h, w);
    }

    /** A wide 4x8 image in an 8x8 frame: padding keeps it whole between black bars; cropping fills the frame. */
    @Test
    void padKeepsTheWholeImageBetweenBlackBarsCropFillsTheFrame() {
        Tensor padded = ImagePreprocess.fit(white(4, 8), 8, 8, ImagePreprocess.Fit.PAD);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    float want = y >= 2 && y < 6 ? 1f : 0f;
                    assertThat(padded.data()[(c * 8 + y) * 8 + x]).as("c %d y %d x %d", c, y, x).isEqualTo(want);
                }
            }
        }
        Tensor cropped = ImagePreprocess.fit(white(4, 8), 8, 8, ImagePreprocess.Fit.CROP);
        for (float v : cropped.data()) {
            assertThat(v).isEqualTo(1f);
        }
    }

    /** Stretching (diffusers' default resize) scales each side on its own: a 4x8 image of columns keeps them, rows doubled. */
    @Test
    void stretchScalesEachSideOnItsOwn() {
        float[] v = new float[3 * 4 * 8];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 8; x++) {
                    v[(c * 4 + y) * 8 + x] = x < 4 ? 0f : 1f;          // left half black, right half white
                }
            }
        }
        Tensor stretched = ImagePreprocess.fit(Tensor.of(v, 3, 4, 8), 8, 8, ImagePreprocess.Fit.STRETCH);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                assertThat(stretched.data()[y * 8 + x]).as("y %d x %d", y, x).isEqualTo(x < 4 ? 0f : 1f);
            }
        }
    }

    @Test
    void aChangedAspectRatioIsDescribedAndAKeptOneIsNot() {
        assertThat(ImagePreprocess.describeFit(1080, 1920, 480, 720, ImagePreprocess.Fit.CROP))
                .contains("1920x1080 (aspect 1.78)").contains("720x480 (aspect 1.50)").contains("left and right cut off")
                .contains("--image-fit pad");
        assertThat(ImagePreprocess.describeFit(1080, 1920, 480, 720, ImagePreprocess.Fit.PAD)).contains("above and below");
        assertThat(ImagePreprocess.describeFit(1080, 1920, 480, 720, ImagePreprocess.Fit.STRETCH)).contains("stretched").contains("as diffusers");
        assertThat(ImagePreprocess.describeFit(960, 1440, 480, 720, ImagePreprocess.Fit.CROP)).isNull();
    }
}
