package dev.cogvideox.io.video;

/**
 * How frames are encoded.
 *
 * @param fps         frames per second (8 for CogVideoX 1.0, 16 for 1.5)
 * @param bitsPerSecond MP4 video bit rate; 0 picks {@link #AUTO_BITS_PER_PIXEL} bits per pixel per frame
 * @param description   text stored in the file (how it was made), or null: the MP4 {@code comment} tag, a GIF comment,
 *                      a PNG {@code tEXt} chunk with the keyword {@link VideoMetadata#PNG_KEYWORD}; read back by
 *                      {@link VideoMetadata#read}. Latin-1 in GIF and PNG: keep it ASCII (escape the rest).
 */
public record VideoOptions(double fps, long bitsPerSecond, String description) {
    /** Bits per pixel per frame when no bit rate is given: about 1.4 Mbit/s at 720x480, 8 fps. */
    public static final double AUTO_BITS_PER_PIXEL = 0.5;

    public VideoOptions {
        if (!(fps > 0 && fps <= 1000)) {
            throw new IllegalArgumentException("fps must be in (0, 1000], got " + fps);
        }
        if (bitsPerSecond < 0) {
            throw new IllegalArgumentException("bit rate must be >= 0 (0 = automatic), got " + bitsPerSecond);
        }
    }

    public VideoOptions(double fps, long bitsPerSecond) {
        this(fps, bitsPerSecond, null);
    }

    /** The given frame rate with an automatic bit rate. */
    public static VideoOptions fps(double fps) {
        return new VideoOptions(fps, 0);
    }

    /** These options with {@code text} stored in the file. */
    public VideoOptions withDescription(String text) {
        return new VideoOptions(fps, bitsPerSecond, text);
    }

    /** The bit rate for frames of this size. */
    long bitRate(int width, int height) {
        return bitsPerSecond > 0 ? bitsPerSecond : Math.round(AUTO_BITS_PER_PIXEL * width * height * fps);
    }
}
