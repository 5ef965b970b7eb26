package dev.cogvideox.verify;

import dev.cogvideox.tensor.Shapes;
import dev.cogvideox.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Compares produced tensors with a case's expected {@code out.*} tensors and keeps the worst element of each. */
public final class Checker {
    /** The comparison of one output: pass or not, and the worst element (by its share of the allowed error). */
    public record TensorResult(String name, boolean passed, double worstAbs, double worstRel, String detail) {
    }

    private final GoldenCase golden;
    private final List<TensorResult> results = new ArrayList<>();

    public Checker(GoldenCase golden) {
        this.golden = golden;
    }

    public List<TensorResult> results() {
        return results;
    }

    /** Compares {@code actual} with the stored tensor {@code name} (shape and values) within the case's tolerance. */
    public void check(String name, Tensor actual) {
        check(name, actual, golden.tolerance(name));
    }

    /** Compares {@code actual} with the stored tensor {@code name} bit for bit (table lookups, integer-valued floats). */
    public void checkExact(String name, Tensor actual) {
        check(name, actual, new Tolerance(0, 0));
    }

    private void check(String name, Tensor actual, Tolerance tol) {
        if (golden.file().entry(name).dtype() == dev.cogvideox.tensor.DType.I64) {
            checkLongs(name, integral(name, actual));
            return;
        }
        Tensor expected = golden.tensor(name);
        if (!Arrays.equals(expected.shape(), actual.shape())) {
            results.add(new TensorResult(name, false, Double.NaN, Double.NaN,
                    "shape " + Shapes.str(actual.shape()) + " but expected " + Shapes.str(expected.shape())));
            return;
        }
        float[] a = actual.data(), e = expected.data();
        double worstShare = -1, worstAbs = 0, worstRel = 0;
        int worstAt = -1;
        boolean pass = true;
        for (int i = 0; i < a.length; i++) {
            double err = Math.abs((double) a[i] - e[i]);
            if (Double.isNaN(err)) {
                // NaN only matches NaN; an expected infinity matches the same infinity.
                if (Float.isNaN(a[i]) && Float.isNaN(e[i])) {
                    continue;
                }
                if (a[i] == e[i]) {
                    continue;
                }
                err = Double.POSITIVE_INFINITY;
            }
            double allowed = tol.maxAbs() + tol.maxRel() * Math.abs(e[i]);
            double share = allowed > 0 ? err / allowed : (err == 0 ? 0 : Double.POSITIVE_INFINITY);
            if (share > 1) {
                pass = false;
            }
            if (share > worstShare) {
                worstShare = share;
                worstAt = i;
                worstAbs = err;
                worstRel = e[i] == 0 ? (err == 0 ? 0 : Double.POSITIVE_INFINITY) : err / Math.abs(e[i]);
            }
        }
        String detail = worstAt < 0 ? "empty" : String.format("worst at flat index %d: got %s, expected %s (%.3g of allowed)",
                worstAt, a[worstAt], e[worstAt], worstShare);
        results.add(new TensorResult(name, pass, worstAbs, worstRel, detail));
    }

    /** Integer outputs must match exactly. */
    public void checkLongs(String name, long[] actual) {
        long[] expected = golden.longs(name);
        boolean pass = Arrays.equals(expected, actual);
        String detail = pass ? "exact" : "got " + abbreviate(actual) + ", expected " + abbreviate(expected);
        results.add(new TensorResult(name, pass, pass ? 0 : Double.NaN, pass ? 0 : Double.NaN, detail));
    }

    /** A non-tensor expectation (e.g. a token list in a JSON-only case). */
    public void checkEquals(String name, Object expected, Object actual) {
        boolean pass = java.util.Objects.equals(expected, actual);
        results.add(new TensorResult(name, pass, pass ? 0 : Double.NaN, pass ? 0 : Double.NaN,
                pass ? "exact" : "got " + actual + ", expected " + expected));
    }

    /** The values of a float tensor that stands for an integer output (e.g. timesteps); a fraction is a mismatch. */
    private static long[] integral(String name, Tensor t) {
        float[] d = t.data();
        long[] r = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            if (d[i] != Math.rint(d[i])) {
                throw new IllegalArgumentException(name + ": integer output expected, element " + i + " is " + d[i]);
            }
            r[i] = (long) d[i];
        }
        return r;
    }

    private static String abbreviate(long[] v) {
        String s = Arrays.toString(v);
        return s.length() > 200 ? s.substring(0, 200) + "...]" : s;
    }
}
