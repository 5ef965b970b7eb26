package dev.cogvideox.train.data;

import java.util.Arrays;

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

    /**
     * A shape written {@code WIDTHxHEIGHTxFRAMES} (e.g. {@code 96x96x17}) as the value of {@code option}; the error
     * names the option and the value, then what is wrong ({@link #parse(String)}).
     */
    public static ClipShape parse(String value, String option) {
        try {
            return parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " " + value + ": " + e.getMessage(), e);
        }
    }

    /**
     * A shape written {@code WIDTHxHEIGHTxFRAMES}; the error says what is wrong without naming where, for a caller
     * that names it itself (a stage of {@code --stages}).
     */
    public static ClipShape parse(String value) {
        String[] dims = value.strip().split("[xX]", -1);
        if (dims.length != 3 || !Arrays.stream(dims).allMatch(d -> d.matches("\\d+"))) {
            throw new IllegalArgumentException("expected WIDTHxHEIGHTxFRAMES, e.g. 96x96x17");
        }
        int[] n = new int[3];
        for (int i = 0; i < 3; i++) {
            try {
                n[i] = Integer.parseInt(dims[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("a number is too large: " + dims[i]);
            }
        }
        return new ClipShape(n[0], n[1], n[2]);
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
