package dev.cogvideox.serve;

import dev.cogvideox.pipeline.ImagePreprocess;
import dev.cogvideox.tensor.Tensor;

import java.util.Arrays;

/** A video-to-video source: the first frames of a decoded video, each resized and centre-cropped to the job's size. */
final class SourceVideo {
    private SourceVideo() {
    }

    /** {@code src [F0, 3, H0, W0]} to {@code [1, frames, 3, h, w]}. */
    static Tensor fit(Tensor src, int frames, int h, int w, String what) {
        if (src.dim(0) < frames) {
            throw ApiException.badRequest("video", what + " has " + src.dim(0) + " frames, the job asks for " + frames);
        }
        Tensor out = Tensor.zeros(1, frames, 3, h, w);
        int per = src.numel() / src.dim(0);
        for (int i = 0; i < frames; i++) {
            float[] one = Arrays.copyOfRange(src.data(), i * per, (i + 1) * per);
            Tensor fitted = ImagePreprocess.resizeCenterCrop(Tensor.of(one, 3, src.dim(2), src.dim(3)), h, w);
            System.arraycopy(fitted.data(), 0, out.data(), i * 3 * h * w, 3 * h * w);
        }
        return out;
    }
}
