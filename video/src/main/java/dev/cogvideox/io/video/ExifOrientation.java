package dev.cogvideox.io.video;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The EXIF orientation of a JPEG (tag 0x0112 in the APP1 segment's first IFD) and the transform that shows the
 * picture upright, as PIL's {@code ImageOps.exif_transpose}, which diffusers' {@code load_image} applies.
 */
final class ExifOrientation {
    private static final int TAG_ORIENTATION = 0x0112;

    private ExifOrientation() {
    }

    /** The orientation (1 to 8) in the head of a JPEG file, 1 (upright) if it has none or is not a JPEG. */
    static int read(byte[] head) {
        try {
            if (u16(head, 0) != 0xFFD8) {
                return 1;
            }
            for (int p = 2; p + 4 <= head.length && (head[p] & 0xff) == 0xFF; p += 2 + u16(head, p + 2)) {
                int marker = head[p + 1] & 0xff;
                if (marker == 0xE1 && new String(head, p + 4, 6, StandardCharsets.ISO_8859_1).equals("Exif\0\0")) {
                    return tiff(ByteBuffer.wrap(head, p + 10, u16(head, p + 2) - 8).slice());
                }
                if (marker == 0xDA) {
                    break; // image data starts: no more metadata
                }
            }
        } catch (IndexOutOfBoundsException truncated) {
            // a header cut short by the read limit or a malformed file: treat as upright
        }
        return 1;
    }

    private static int tiff(ByteBuffer b) {
        b.order(b.get(0) == 'I' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        int ifd = b.getInt(4);
        int entries = b.getShort(ifd) & 0xffff;
        for (int i = 0; i < entries; i++) {
            int e = ifd + 2 + 12 * i;
            if ((b.getShort(e) & 0xffff) == TAG_ORIENTATION) {
                int v = b.getShort(e + 8) & 0xffff;
                return v >= 1 && v <= 8 ? v : 1;
            }
        }
        return 1;
    }

    private static int u16(byte[] b, int p) {
        return (b[p] & 0xff) << 8 | (b[p + 1] & 0xff);
    }

    /**
     * {@code image} turned upright for {@code orientation}: 2 mirror, 3 rotate 180, 4 flip, 5 transpose,
     * 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise.
     */
    static RgbImage upright(RgbImage image, int orientation) {
        if (orientation == 1) {
            return image;
        }
        int w = image.width();
        int h = image.height();
        boolean swap = orientation >= 5;
        int ow = swap ? h : w;
        int oh = swap ? w : h;
        byte[] src = image.pixels();
        byte[] dst = new byte[src.length];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
                    case 4 -> { sx = x; sy = h - 1 - y; }
                    case 5 -> { sx = y; sy = x; }
                    case 6 -> { sx = y; sy = h - 1 - x; }
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
                    default -> { sx = w - 1 - y; sy = x; } // 8
                }
                System.arraycopy(src, (sy * w + sx) * 3, dst, (y * ow + x) * 3, 3);
            }
        }
        return new RgbImage(ow, oh, dst);
    }
}
