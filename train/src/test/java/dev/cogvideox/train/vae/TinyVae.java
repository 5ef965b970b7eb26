package dev.cogvideox.train.vae;

import dev.cogvideox.model.vae.AutoencoderKLCogVideoXConfig;
import dev.cogvideox.tensor.Tensor;

import java.util.SplittableRandom;

/** A two-stage VAE small enough for finite differences, and a clip of a square moving right for it to learn. */
final class TinyVae {
    /** blocks 4 and 8 channels (spatial factor 2), temporal factor 2, 4 latent channels, 1 layer per block, 2 groups. */
    static final AutoencoderKLCogVideoXConfig CONFIG = new AutoencoderKLCogVideoXConfig(3, 3, new int[] {4, 8}, 4, 1, 1e-6f, 2, 2,
            8, 8, 1.0, false);

    private TinyVae() {
    }

    /** {@code [1, 3, frames, size, size]} in [-1, 1]: a coloured square on a dark background, one pixel right per frame. */
    static Tensor movingSquare(int frames, int size) {
        Tensor clip = Tensor.zeros(1, 3, frames, size, size);
        float[] colour = {0.9f, 0.2f, -0.5f};
        for (int c = 0; c < 3; c++) {
            for (int f = 0; f < frames; f++) {
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        boolean inside = y >= size / 4 && y < size / 4 + size / 2 && x >= f && x < f + size / 2;
                        clip.data()[((c * frames + f) * size + y) * size + x] = inside ? colour[c] : -0.8f;
                    }
                }
            }
        }
        return clip;
    }

    static Tensor randn(long seed, int... shape) {
        SplittableRandom rng = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = (float) rng.nextGaussian();
        }
        return t;
    }
}
