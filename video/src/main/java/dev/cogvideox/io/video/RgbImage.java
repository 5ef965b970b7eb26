package dev.cogvideox.io.video;

import dev.cogvideox.tensor.Tensor;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.util.List;

/**
 * One 8-bit RGB picture, pixels row-major and interleaved ({@code r, g, b} per pixel). The array is shared,
 * not copied.
 *
 * <p>Float to byte: {@code rint(clamp(x, 0, 1) * 255)} with the product in float and ties to even, as NumPy's
 * {@code (x * 255).round().astype(uint8)} in diffusers' {@code numpy_to_pil} (NaN becomes 0). Byte to float:
 * {@code b / 255f}, as {@code np.array(img).astype(np.float32) / 255.0}.
 */
public record RgbImage(int width, int height, byte[] pixels) {
    public RgbImage {
        if (width <= 0 || height <= 0 || pixels.length != width * height * 3) {
            throw new IllegalArgumentException("RGB image " + width + "x" + height + " needs " + width * height * 3
                    + " bytes, got " + pixels.length);
        }
    }

    /** The 8-bit value of a float sample in [0, 1] (see the class comment for the rule). */
    public static int toByte(float x) {
        if (!(x > 0f)) {
            return 0; // also NaN
        }
        return x >= 1f ? 255 : (int) Math.rint(x * 255f);
    }

    /** Frame {@code index} of a {@code [F, 3, H, W]} tensor, or the image of a {@code [3, H, W]} tensor (index 0). */
    public static RgbImage fromTensor(Tensor frames, int index) {
        int rank = frames.rank();
        if (rank != 3 && rank != 4 || frames.dim(-3) != 3) {
            throw new IllegalArgumentException("frames must be [F, 3, H, W] or [3, H, W], got " + frames);
        }
        int h = frames.dim(-2);
        int w = frames.dim(-1);
        int plane = h * w;
        float[] src = frames.data();
        int base = index * 3 * plane;
        byte[] px = new byte[plane * 3];
        for (int c = 0; c < 3; c++) {
            int from = base + c * plane;
            for (int i = 0; i < plane; i++) {
                px[i * 3 + c] = (byte) toByte(src[from + i]);
            }
        }
        return new RgbImage(w, h, px);
    }

    /** Writes this image as {@code [3, H, W]} floats in [0, 1] into {@code dst} from {@code offset}. */
    public void toChw(float[] dst, int offset) {
        int plane = width * height;
        for (int c = 0; c < 3; c++) {
            int to = offset + c * plane;
            for (int i = 0; i < plane; i++) {
                dst[to + i] = (pixels[i * 3 + c] & 0xff) / 255f;
            }
        }
    }

    /** A {@code [F, 3, H, W]} tensor of images that all have the same size. */
    public static Tensor stack(List<RgbImage> images, String source) {
        RgbImage first = images.getFirst();
        int chw = 3 * first.width * first.height;
        Tensor t = Tensor.zeros(images.size(), 3, first.height, first.width);
        for (int f = 0; f < images.size(); f++) {
            RgbImage img = images.get(f);
            if (img.width != first.width || img.height != first.height) {
                throw new IllegalArgumentException(source + ": frame " + f + " is " + img.width + "x" + img.height
                        + ", frame 0 is " + first.width + "x" + first.height);
            }
            img.toChw(t.data(), f * chw);
        }
        return t;
    }

    /** This image grown to even width and height by repeating its last column and row (for yuv420p). */
    public RgbImage padToEven() {
        int w = width + (width & 1);
        int h = height + (height & 1);
        if (w == width && h == height) {
            return this;
        }
        byte[] px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            int srcRow = Math.min(y, height - 1) * width * 3;
            System.arraycopy(pixels, srcRow, px, y * w * 3, width * 3);
            if (w != width) {
                System.arraycopy(pixels, srcRow + (width - 1) * 3, px, (y * w + width) * 3, 3);
            }
        }
        return new RgbImage(w, h, px);
    }

    /** A {@link BufferedImage} viewing this image's bytes (sRGB, no copy). */
    public BufferedImage toBufferedImage() {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        WritableRaster raster = Raster.createInterleavedRaster(new DataBufferByte(pixels, pixels.length),
                width, height, width * 3, 3, new int[]{0, 1, 2}, null);
        return new BufferedImage(cm, raster, false, null);
    }

    /**
     * The RGB content of a decoded image. Grey images keep their sample values (scaled to 8 bits) as PIL's
     * {@code convert("RGB")} does; colour images go through {@link BufferedImage#getRGB}; alpha is dropped.
     */
    public static RgbImage of(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] px = new byte[w * h * 3];
        if (image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
            Raster r = image.getRaster();
            double scale = 255.0 / ((1 << image.getColorModel().getComponentSize(0)) - 1);
            int[] grey = r.getSamples(0, 0, w, h, 0, (int[]) null);
            for (int i = 0; i < grey.length; i++) {
                byte v = (byte) Math.round(grey[i] * scale);
                px[i * 3] = v;
                px[i * 3 + 1] = v;
                px[i * 3 + 2] = v;
            }
        } else {
            int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
            for (int i = 0; i < argb.length; i++) {
                px[i * 3] = (byte) (argb[i] >> 16);
                px[i * 3 + 1] = (byte) (argb[i] >> 8);
                px[i * 3 + 2] = (byte) argb[i];
            }
        }
        return new RgbImage(w, h, px);
    }
}
