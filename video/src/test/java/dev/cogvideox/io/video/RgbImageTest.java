package dev.cogvideox.io.video;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RgbImageTest {
    @Test
    void floatToByteRoundsHalfToEvenAndClamps() {
        assertThat(RgbImage.toByte(0.5f)).isEqualTo(128); // 127.5 -> 128 (even)
        float tie = 2.5f / 255f;
        while (tie * 255f != 2.5f) {
            tie = Math.nextUp(tie);
        }
        assertThat(RgbImage.toByte(tie)).isEqualTo(2); // 2.5 -> 2 (even), where Math.round would give 3
        assertThat(RgbImage.toByte(0.25f)).isEqualTo(64);
        assertThat(RgbImage.toByte(-0.1f)).isZero();
        assertThat(RgbImage.toByte(Float.NaN)).isZero();
        assertThat(RgbImage.toByte(1.5f)).isEqualTo(255);
    }

    @Test
    void byteToFloatInvertsExactly() {
        for (int b = 0; b < 256; b++) {
            assertThat(RgbImage.toByte(b / 255f)).isEqualTo(b);
        }
    }

    @Test
    void padToEvenRepeatsTheLastColumnAndRow() {
        byte[] px = new byte[3 * 3 * 1];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) i;
        }
        RgbImage padded = new RgbImage(3, 1, px).padToEven();
        assertThat(padded.width()).isEqualTo(4);
        assertThat(padded.height()).isEqualTo(2);
        byte[] row = {0, 1, 2, 3, 4, 5, 6, 7, 8, 6, 7, 8};
        byte[] expected = new byte[24];
        System.arraycopy(row, 0, expected, 0, 12);
        System.arraycopy(row, 0, expected, 12, 12);
        assertThat(padded.pixels()).containsExactly(expected);
    }
}
