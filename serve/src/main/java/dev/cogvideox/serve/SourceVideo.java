package dev.cogvideox.serve;

import dev.cogvideox.pipeline.ImagePreprocess;
import dev.cogvideox.tensor.Tensor;

/** A video-to-video source: the first frames of a decoded video, each resized to the job's size (stretched, as diffusers). */
final class SourceVideo {
    private SourceVideo() {
    }

    /** {@code src [F0, 3, H0, W0]} to {@code [1, frames, 3, h, w]}. */
    static Tensor fit(Tensor src, int frames, int h, int w, String what) {
        if (src.dim(0) < frames) {
            throw ApiException.badRequest("video", what + " has " + src.dim(0) + " frames, the job asks for " + frames);
        }
        return ImagePreprocess.fitVideo(src, frames, h, w, ImagePreprocess.Fit.STRETCH);
    }
}
