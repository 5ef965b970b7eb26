package dev.cogvideox.pipeline;

import dev.cogvideox.tensor.Tensor;

/**
 * Fits a conditioning image to the video size: scale (bilinear, align_corners=False) so the image covers
 * {@code height x width}, then crop the centre. An image already at the size is returned unchanged, so results
 * match the reference exactly then; resized images differ from PIL's resampling in the last bits.
 */
public final class ImagePreprocess {
    private ImagePreprocess() {
    }

    /** {@code [3, H0, W0]} in [0, 1] -> {@code [3, height, width]}. */
    public static Tensor resizeCenterCrop(Tensor image, int height, int width) {
        int c = image.dim(0), h0 = image.dim(1), w0 = image.dim(2);
        if (h0 == height && w0 == width) {
            return image;
        }
        double scale = Math.max(height / (double) h0, width / (double) w0);
        double sh = h0 * scale, sw = w0 * scale;
        double top = (sh - height) / 2, left = (sw - width) / 2;
        Tensor out = Tensor.zeros(c, height, width);
        float[] src = image.data(), dst = out.data();
        for (int y = 0; y < height; y++) {
            double sy = Math.min(h0 - 1, Math.max(0, (y + top + 0.5) / scale - 0.5));
            int y0 = (int) sy, y1 = Math.min(h0 - 1, y0 + 1);
            double fy = sy - y0;
            for (int x = 0; x < width; x++) {
                double sx = Math.min(w0 - 1, Math.max(0, (x + left + 0.5) / scale - 0.5));
                int x0 = (int) sx, x1 = Math.min(w0 - 1, x0 + 1);
                double fx = sx - x0;
                for (int ch = 0; ch < c; ch++) {
                    int base = ch * h0 * w0;
                    double v = (1 - fy) * ((1 - fx) * src[base + y0 * w0 + x0] + fx * src[base + y0 * w0 + x1])
                            + fy * ((1 - fx) * src[base + y1 * w0 + x0] + fx * src[base + y1 * w0 + x1]);
                    dst[(ch * height + y) * width + x] = (float) v;
                }
            }
        }
        return out;
    }
}
