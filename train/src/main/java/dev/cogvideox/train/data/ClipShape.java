package dev.cogvideox.train.data;

/**
 * The pixel size clips are fitted to and their largest frame count ({@code 4k+1}: the VAE encodes 1 + 4k frames into
 * 1 + k latent frames). Shorter videos give shorter clips (Frame Pack batches mix them); images give one-frame clips.
 */
public record ClipShape(int width, int height, int frames) {
    public ClipShape {
        if (width <= 0 || height <= 0 || width % 8 != 0 || height % 8 != 0) {
            throw new IllegalArgumentException("resolution " + width + "x" + height + ": width and height must be positive multiples of 8");
        }
        if (frames < 1 || (frames - 1) % 4 != 0) {
            throw new IllegalArgumentException(frames + " frames: the VAE takes 4k+1 frames (1, 5, 9, ..., 49)");
        }
    }

    /** The largest {@code 4k+1} frame count of at most {@code available} frames and at most {@link #frames}. */
    public int framesFor(int available) {
        return (Math.min(available, frames) - 1) / 4 * 4 + 1;
    }

    @Override
    public String toString() {
        return width + "x" + height + "x" + frames;
    }
}
