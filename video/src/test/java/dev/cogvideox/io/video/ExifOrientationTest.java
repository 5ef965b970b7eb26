package dev.cogvideox.io.video;

import dev.cogvideox.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ExifOrientationTest {
    @TempDir
    Path dir;

    /** A 3x2 image whose pixel values are their index 0..5 (red channel). */
    private static RgbImage indexed() {
        byte[] px = new byte[18];
        for (int i = 0; i < 6; i++) {
            px[i * 3] = (byte) i;
        }
        return new RgbImage(3, 2, px);
    }

    private static int[] reds(RgbImage img) {
        int[] r = new int[img.width() * img.height()];
        for (int i = 0; i < r.length; i++) {
            r[i] = img.pixels()[i * 3];
        }
        return r;
    }

    @Test
    void transformsMatchPilExifTranspose() {
        // source rows: [0 1 2] [3 4 5]
        assertThat(reds(ExifOrientation.upright(indexed(), 2))).containsExactly(2, 1, 0, 5, 4, 3);
        assertThat(reds(ExifOrientation.upright(indexed(), 3))).containsExactly(5, 4, 3, 2, 1, 0);
        assertThat(reds(ExifOrientation.upright(indexed(), 4))).containsExactly(3, 4, 5, 0, 1, 2);
        assertThat(reds(ExifOrientation.upright(indexed(), 5))).containsExactly(0, 3, 1, 4, 2, 5);
        assertThat(reds(ExifOrientation.upright(indexed(), 6))).containsExactly(3, 0, 4, 1, 5, 2);
        assertThat(reds(ExifOrientation.upright(indexed(), 7))).containsExactly(5, 2, 4, 1, 3, 0);
        assertThat(reds(ExifOrientation.upright(indexed(), 8))).containsExactly(2, 5, 1, 4, 0, 3);
        assertThat(ExifOrientation.upright(indexed(), 6).width()).isEqualTo(2);
    }

    @Test
    void aJpegWithOrientation6IsLoadedRotatedClockwise() throws IOException {
        byte[] px = new byte[16 * 8 * 3]; // left half red, right half blue
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 16; x++) {
                px[(y * 16 + x) * 3 + (x < 8 ? 0 : 2)] = (byte) 255;
            }
        }
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        ImageIO.write(new RgbImage(16, 8, px).toBufferedImage(), "jpg", jpeg);
        byte[] plain = jpeg.toByteArray();
        ByteBuffer app1 = ByteBuffer.allocate(2 + 2 + 6 + 8 + 2 + 12 + 4);
        app1.putShort((short) 0xFFE1).putShort((short) (app1.capacity() - 2)).put("Exif\0\0".getBytes())
                .put("MM".getBytes()).putShort((short) 42).putInt(8) // TIFF header, IFD0 at 8
                .putShort((short) 1).putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) 6)
                .putShort((short) 0).putInt(0);
        byte[] file = new byte[plain.length + app1.capacity()];
        System.arraycopy(plain, 0, file, 0, 2);
        System.arraycopy(app1.array(), 0, file, 2, app1.capacity());
        System.arraycopy(plain, 2, file, 2 + app1.capacity(), plain.length - 2);
        Path path = Files.write(dir.resolve("phone.jpg"), file);

        Tensor img = MediaReader.readImage(path);
        assertThat(img.shape()).containsExactly(3, 16, 8);
        float[] d = img.data();
        assertThat(d[0]).as("top-left red").isGreaterThan(0.9f);          // red channel, (0, 0)
        assertThat(d[2 * 128 + 15 * 8]).as("bottom-left blue").isGreaterThan(0.9f); // blue channel, (y 15, x 0)
        assertThat(ExifOrientation.read(plain)).isEqualTo(1);
    }
}
