package dev.cogvideox.verify;

import java.util.Arrays;

/** Helpers shared by the text-side verifiers: int64 id tensors as int rows and back. */
final class T5Goldens {
    private T5Goldens() {
    }

    /** A stored int64 {@code [B, L]} tensor as int rows. */
    static int[][] rows(GoldenCase c, String name) {
        int[] shape = c.file().entry(name).shape();
        long[] flat = c.longs(name);
        int cols = shape[shape.length - 1];
        int[][] out = new int[flat.length / cols][cols];
        for (int i = 0; i < flat.length; i++) {
            out[i / cols][i % cols] = Math.toIntExact(flat[i]);
        }
        return out;
    }

    /** Int rows flattened to longs, for {@link Checker#checkLongs}. */
    static long[] flat(int[][] rows) {
        return Arrays.stream(rows).flatMapToInt(Arrays::stream).asLongStream().toArray();
    }
}
