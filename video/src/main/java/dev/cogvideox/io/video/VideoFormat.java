package dev.cogvideox.io.video;

/** The kinds of video output, chosen from the output path by {@link VideoOutput#parse}. */
public enum VideoFormat {
    /** H.264 in an MP4 container, yuv420p. */
    MP4,
    /** Animated GIF, looping forever, 256 colours per frame. */
    GIF,
    /** A folder of {@code frame_0000.png}, {@code frame_0001.png}, ... */
    PNG_FRAMES
}
