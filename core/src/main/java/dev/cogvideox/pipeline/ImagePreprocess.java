package dev.cogvideox.pipeline;

import dev.cogvideox.tensor.Tensor;

/**
 * Fits a conditioning image to the video size (bilinear, align_corners=False): stretch it to {@code height x width}
 * ({@link Fit#STRETCH}, what diffusers' image-to-video pipelines do: {@code VaeImageProcessor.resize} with its
 * {@code "default"} mode); scale it so it covers the frame and crop the centre ({@link Fit#CROP}); or scale it to fit
 * inside and pad the rest with black ({@link Fit#PAD}). An image already at the size is returned unchanged, so results
 * match the reference exactly then; resized images differ from PIL's Lanczos resampling.
 */
public final class ImagePreprocess {
    /** How an image of another aspect ratio is fitted. */
    public enum Fit {
        /** Both sides scaled to the frame, proportions not kept (diffusers' default). */
        STRETCH,
        /** Cover the frame, cut what sticks out (the centre is kept). */
        CROP,
        /** Fit inside the frame, black bars where the image does not reach. */
        PAD
    }

    private ImagePreprocess() {
    }

    /** {@code [3, H0, W0]} in [0, 1] -> {@code [3, height, width]}. */
    public static Tensor resizeCenterCrop(Tensor image, int height, int width) {
        return fit(image, height, width, Fit.CROP);
    }

    /**
     * A line for the user when fitting changes the picture's aspect ratio (what is cut or padded and the other way to
     * fit), or null when the aspect ratios agree within 1%.
     */
    public static String describeFit(int h0, int w0, int height, int width, Fit fit) {
        double from = w0 / (double) h0, to = width / (double) height;
        if (Math.abs(from / to - 1) <= 0.01) {
            return null;
        }
        String what = fit == Fit.STRETCH
                ? "stretched to the video's shape, as diffusers does (--image-fit crop or pad keep its proportions)"
                : fit == Fit.CROP
                ? String.format(java.util.Locale.ROOT, "cropped to its centre (%s cut off; --image-fit pad keeps all of it with black bars)",
                        from > to ? "the left and right" : "the top and bottom")
                : String.format(java.util.Locale.ROOT, "padded with black bars %s (--image-fit crop fills the frame and cuts the rest)",
                        from > to ? "above and below" : "left and right");
        return String.format(java.util.Locale.ROOT, "the image is %dx%d (aspect %.2f), the video %dx%d (aspect %.2f): %s",
                w0, h0, from, width, height, to, what);
    }

    /**
     * A video-to-video source: the first {@code frames} of {@code src [F0, 3, H0, W0]} in [0, 1], each fitted as
     * {@code fit} says ({@link Fit#STRETCH} is diffusers' {@code preprocess_video}), as {@code [1, frames, 3, height, width]}.
     */
    public static Tensor fitVideo(Tensor src, int frames, int height, int width, Fit fit) {
        if (src.dim(0) < frames) {
            throw new IllegalArgumentException("the source video has " + src.dim(0) + " frames, " + frames + " are asked for");
        }
        Tensor out = Tensor.zeros(1, frames, 3, height, width);
        int per = src.numel() / src.dim(0), size = 3 * height * width;
        for (int i = 0; i < frames; i++) {
            float[] one = java.util.Arrays.copyOfRange(src.data(), i * per, (i + 1) * per);
            Tensor fitted = fit(Tensor.of(one, 3, src.dim(2), src.dim(3)), height, width, fit);
            System.arraycopy(fitted.data(), 0, out.data(), i * size, size);
        }
        return out;
    }

    /** {@code [3, H0, W0]} in [0, 1] -> {@code [3, height, width]}, fitted as {@code fit} says. */
    public static Tensor fit(Tensor image, int height, int width, Fit fit) {
        int c = image.dim(0), h0 = image.dim(1), w0 = image.dim(2);
        if (h0 == height && w0 == width) {
            return image;
        }
        double scale = fit == Fit.CROP ? Math.max(height / (double) h0, width / (double) w0)
                : Math.min(height / (double) h0, width / (double) w0);
        double scaleY = fit == Fit.STRETCH ? height / (double) h0 : scale, scaleX = fit == Fit.STRETCH ? width / (double) w0 : scale;
        double sh = h0 * scaleY, sw = w0 * scaleX;
        double top = (sh - height) / 2, left = (sw - width) / 2;    // negative when padding
        Tensor out = Tensor.zeros(c, height, width);
        float[] src = image.data(), dst = out.data();
        for (int y = 0; y < height; y++) {
            if (y + top + 0.5 < 0 || y + top + 0.5 > sh) {
                continue;                                           // a padded row stays black
            }
            double sy = Math.min(h0 - 1, Math.max(0, (y + top + 0.5) / scaleY - 0.5));
            int y0 = (int) sy, y1 = Math.min(h0 - 1, y0 + 1);
            double fy = sy - y0;
            for (int x = 0; x < width; x++) {
                if (x + left + 0.5 < 0 || x + left + 0.5 > sw) {
                    continue;
                }
                double sx = Math.min(w0 - 1, Math.max(0, (x + left + 0.5) / scaleX - 0.5));
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
