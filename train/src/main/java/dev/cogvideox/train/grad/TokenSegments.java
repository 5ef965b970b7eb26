package dev.cogvideox.train.grad;

import dev.cogvideox.tensor.Tensor;

import java.util.Arrays;

/**
 * Runs of consecutive token rows, one per clip of a packed sequence (Frame Pack): clip {@code i} owns rows
 * {@code [start(i), start(i) + length(i))}. A batch of {@code B} equal clips of {@code L} tokens each, laid out
 * {@code [B, L, C]}, is the special case {@link #uniform uniform(B, L)}.
 */
public final class TokenSegments {
    private final int[] offsets;

    private TokenSegments(int[] offsets) {
        this.offsets = offsets;
    }

    /** Segments of the given lengths, in order. */
    public static TokenSegments ofLengths(int... lengths) {
        int[] offsets = new int[lengths.length + 1];
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] < 0) {
                throw new IllegalArgumentException("negative segment length in " + Arrays.toString(lengths));
            }
            offsets[i + 1] = offsets[i] + lengths[i];
        }
        return new TokenSegments(offsets);
    }

    /** {@code count} segments of {@code length} rows each. */
    public static TokenSegments uniform(int count, int length) {
        int[] lengths = new int[count];
        Arrays.fill(lengths, length);
        return ofLengths(lengths);
    }

    public int count() {
        return offsets.length - 1;
    }

    public int start(int segment) {
        return offsets[segment];
    }

    public int length(int segment) {
        return offsets[segment + 1] - offsets[segment];
    }

    /** Rows over all segments. */
    public int total() {
        return offsets[offsets.length - 1];
    }

    /** Row {@code s} of {@code perSegment [S, C]} repeated over the rows of segment {@code s}: {@code [total, C]}. */
    public Tensor expand(Tensor perSegment) {
        int c = perSegment.dim(-1);
        perSegment.requireShape("per-segment rows", count(), c);
        Tensor out = Tensor.zeros(total(), c);
        float[] src = perSegment.data(), dst = out.data();
        for (int s = 0; s < count(); s++) {
            for (int r = start(s); r < start(s + 1); r++) {
                System.arraycopy(src, s * c, dst, r * c, c);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "TokenSegments" + Arrays.toString(offsets);
    }
}
