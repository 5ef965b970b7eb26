package dev.cogvideox.io.video;

import dev.cogvideox.tensor.Tensor;

import java.util.Arrays;

/** Synthetic test videos: smooth moving gradients that lossy codecs keep well. */
final class Frames {
    private Frames() {
    }

    /** {@code [n, 3, h, w]} in [0, 1]: per-channel gradients shifted by the frame index, quantized to k/255. */
    static Tensor gradients(int n, int h, int w) {
        Tensor t = Tensor.zeros(n, 3, h, w);
        float[] d = t.data();
        int i = 0;
        for (int f = 0; f < n; f++) {
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int v = switch (c) {
                            case 0 -> 255 * x / w;
                            case 1 -> 255 * y / h;
                            default -> (40 + 20 * f) % 256;
                        };
                        d[i++] = v / 255f;
                    }
                }
            }
        }
        return t;
    }

    /** Frame {@code from} to {@code to} (exclusive) of a {@code [F, 3, H, W]} tensor, copied. */
    static Tensor slice(Tensor t, int from, int to) {
        int chw = t.numel() / t.dim(0);
        float[] d = Arrays.copyOfRange(t.data(), from * chw, to * chw);
        return Tensor.of(d, to - from, 3, t.dim(2), t.dim(3));
    }

    static double meanAbsDiff(Tensor a, Tensor b) {
        double s = 0;
        for (int i = 0; i < a.numel(); i++) {
            s += Math.abs(a.data()[i] - b.data()[i]);
        }
        return s / a.numel();
    }
}
