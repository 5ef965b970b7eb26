package dev.cogvideox.train.run;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LossCurveTest {
    @TempDir
    Path tmp;

    /** The last step's label ends at the plot's right edge, under the curve's last point (not at three quarters of the axis). */
    @Test
    void theLastStepLabelSitsUnderTheEndOfTheAxis() throws IOException {
        List<double[]> points = new ArrayList<>();
        for (int step = 1; step <= 100; step++) {
            points.add(new double[]{step, 1.0 / step});
        }
        Path png = tmp.resolve("loss.png");
        LossCurve.write(png, points);
        BufferedImage img = ImageIO.read(png.toFile());
        // the label band below the plot's frame (frame bottom at HEIGHT - MARGIN = 390)
        int right = -1;
        for (int y = 400; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xff) < 128) {
                    right = Math.max(right, x);
                }
            }
        }
        assertThat(right).isBetween(LossCurve.PLOT_RIGHT - 4, LossCurve.PLOT_RIGHT);
    }
}
