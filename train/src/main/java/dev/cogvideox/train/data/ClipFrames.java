package dev.cogvideox.train.data;

import dev.cogvideox.io.video.MediaReader;
import dev.cogvideox.pipeline.ImagePreprocess;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads a sample's pixels as the VAE takes them: the first {@code 4k+1} frames (as many as the video has, up to the
 * shape's frame count; diffusers' script strides over the whole video instead, which needs every frame in memory),
 * each resized to cover the shape and center-cropped (the pipeline's image rule), mapped to {@code [-1, 1]}
 * ({@code x / 255 * 2 - 1} in the diffusers script). An image file is a one-frame clip.
 */
public final class ClipFrames {
    /** A video shorter than this is reported and skipped: give stills as image files. */
    public static final int MIN_VIDEO_FRAMES = 5;
    private static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp");

    private ClipFrames() {
    }

    /** {@code [1, 3, F, height, width]} in [-1, 1]; errors name the sample. */
    public static Tensor read(DataSample sample, ClipShape shape) {
        List<Tensor> frames = new ArrayList<>();
        if (isImage(sample)) {
            frames.add(MediaReader.readImage(sample.video()));                                 // [3, H0, W0]
        } else {
            Tensor video = MediaReader.readVideo(sample.video(), shape.frames());              // [F0, 3, H0, W0]
            if (video.dim(0) < MIN_VIDEO_FRAMES) {
                throw new IllegalArgumentException(sample.origin() + ": " + sample.video() + " has " + video.dim(0) + " frame"
                        + (video.dim(0) == 1 ? "" : "s") + "; a video needs at least " + MIN_VIDEO_FRAMES + " (give a still as an image file)");
            }
            int n = shape.framesFor(video.dim(0));
            int[] one = {3, video.dim(2), video.dim(3)};
            for (int f = 0; f < n; f++) {
                frames.add(Layout.narrow(video, 0, f, 1).reshape(one));
            }
        }
        List<Tensor> fitted = new ArrayList<>();
        for (Tensor f : frames) {
            Tensor x = ImagePreprocess.resizeCenterCrop(f, shape.height(), shape.width());    // [3, H, W] in [0, 1]
            Tensor y = Ops.map(x, v -> v * 2f - 1f);
            fitted.add(y.reshape(3, 1, shape.height(), shape.width()));
        }
        return Layout.cat(1, fitted).reshape(1, 3, fitted.size(), shape.height(), shape.width());
    }

    private static boolean isImage(DataSample sample) {
        String name = sample.video().getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        return dot > 0 && IMAGE_EXTENSIONS.contains(name.substring(dot + 1));
    }
}
