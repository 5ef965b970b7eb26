package dev.cogvideox.verify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.tensor.Shapes;
import dev.cogvideox.tensor.Tensor;

import java.util.Arrays;

/**
 * Helpers shared by the text-side verifiers. The {@code t5_*} cases write their tolerance as
 * {@code {"atol", "rtol"}} (or {@code {"embeds": {"atol", "rtol"}}}) rather than {@code max_abs}/{@code max_rel},
 * which {@link GoldenCase#tolerance} does not read, so float outputs are compared here with that tolerance;
 * lookups (embeddings, position bias) use {@link Checker#check} with its zero tolerance, i.e. exactly.
 */
final class T5Goldens {
    private T5Goldens() {
    }

    /** The case's float tolerance: {@code tolerance.atol/rtol}, or {@code tolerance.embeds.atol/rtol}. */
    static Tolerance floatTolerance(GoldenCase c) {
        JsonNode tol = c.spec().path("tolerance");
        JsonNode t = tol.has("embeds") ? tol.path("embeds") : tol;
        return new Tolerance(t.path("atol").asDouble(0), t.path("rtol").asDouble(0));
    }

    /** Compares {@code actual} with stored {@code name} under {@code tol} and records the worst element. */
    static void checkClose(Checker checker, GoldenCase c, String name, Tensor actual, Tolerance tol) {
        Tensor expected = c.tensor(name);
        if (!expected.sameShape(actual)) {
            checker.results().add(new Checker.TensorResult(name, false, Double.NaN, Double.NaN,
                    "shape " + Shapes.str(actual.shape()) + " but expected " + Shapes.str(expected.shape())));
            return;
        }
        float[] a = actual.data(), e = expected.data();
        int worst = 0;
        double worstShare = -1;
        for (int i = 0; i < a.length; i++) {
            double share = Math.abs((double) a[i] - e[i]) / (tol.maxAbs() + tol.maxRel() * Math.abs(e[i]));
            if (!(share <= worstShare)) {
                worstShare = share;
                worst = i;
            }
        }
        double abs = Math.abs((double) a[worst] - e[worst]);
        checker.results().add(new Checker.TensorResult(name, worstShare <= 1, abs, e[worst] == 0 ? abs : abs / Math.abs(e[worst]),
                String.format("worst at flat index %d: got %s, expected %s (%.3g of allowed)", worst, a[worst], e[worst], worstShare)));
    }

    /** A stored int64 {@code [B, L]} tensor as int rows. */
    static int[][] rows(GoldenCase c, String name) {
        SafetensorsFile.Entry entry = c.file().entry(name);
        long[] flat = entry.longs();
        int cols = entry.shape()[entry.shape().length - 1];
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
