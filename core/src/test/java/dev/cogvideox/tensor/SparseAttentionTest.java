package dev.cogvideox.tensor;

import dev.cogvideox.random.TorchGenerator;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@link Attention.KeySelection}: selected keys only, exactly as a -inf bias outside them. */
class SparseAttentionTest {
    @Test
    void aSelectionIsAMaskAndNoSelectionIsTheDenseKernel() {
        TorchGenerator g = new TorchGenerator(17);
        int b = 2, l = 301, heads = 3, d = 16;
        Tensor q = g.randn(b, l, heads * d), k = g.randn(b, l, heads * d), v = g.randn(b, l, heads * d);
        // head 0 dense; head 1 unaligned ranges whose widened tiles meet (gaps under one tile) and one past a BK block;
        // head 2 a single key range in the middle
        int[][] ranges = {null, {0, 10, 13, 14, 30, 47, 50, 52, 170, 299}, {101, 102}};
        Tensor sparse = Attention.attend(q, k, v, heads, 0.25f, null, (h, i0, n) -> ranges[h]);
        float[] bias = new float[heads * l * l];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < l; i++) {
                for (int j = 0; j < l; j++) {
                    boolean kept = ranges[h] == null;
                    for (int r = 0; !kept && r < ranges[h].length; r += 2) {
                        kept = ranges[h][r] <= j && j < ranges[h][r + 1];
                    }
                    bias[(h * l + i) * l + j] = kept ? 0f : Float.NEGATIVE_INFINITY;
                }
            }
        }
        Tensor masked = Attention.attend(q, k, v, heads, 0.25f, Tensor.of(bias, heads, l, l));
        for (int i = 0; i < sparse.numel(); i++) {
            assertThat(sparse.data()[i]).as("element " + i).isCloseTo(masked.data()[i], within(2e-5f));
        }
        // head 2 attends one key: its output is that key's value
        for (int i = 0; i < l; i++) {
            for (int e = 0; e < d; e++) {
                assertThat(sparse.data()[(l + i) * heads * d + 2 * d + e]).isCloseTo(v.data()[(l + 101) * heads * d + 2 * d + e], within(1e-6f));
            }
        }
        Tensor dense = Attention.attend(q, k, v, heads, 0.25f, null);
        assertThat(Attention.attend(q, k, v, heads, 0.25f, null, (h, i0, n) -> null).data()).containsExactly(dense.data());
    }
}
