package dev.cogvideox.tensor;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Index rules of {@link Resample} (PyTorch's nearest rule), temporal pooling, and the tile blend of {@link Layout}. */
class ResampleTest {
    @Test
    void nearestIndexFollowsPytorch() {
        assertThat(Resample.nearestIndex(4, 4)).containsExactly(0, 1, 2, 3);
        assertThat(Resample.nearestIndex(3, 6)).containsExactly(0, 0, 1, 1, 2, 2);
        assertThat(Resample.nearestIndex(2, 8)).containsExactly(0, 0, 0, 0, 1, 1, 1, 1);
        // non-integer ratio: floor(i * (float) 3 / 5)
        assertThat(Resample.nearestIndex(3, 5)).containsExactly(0, 0, 1, 1, 2);
        assertThat(Resample.nearestIndex(5, 3)).containsExactly(0, 1, 3);
    }

    @Test
    void causalFrameIndexKeepsFrameZeroApartForOddCounts() {
        assertThat(Resample.causalFrameIndex(3, 9)).containsExactly(0, 1, 1, 1, 1, 2, 2, 2, 2);
        assertThat(Resample.causalFrameIndex(3, 5)).containsExactly(0, 1, 1, 2, 2);
        assertThat(Resample.causalFrameIndex(2, 8)).containsExactly(0, 0, 0, 0, 1, 1, 1, 1);
        assertThat(Resample.causalFrameIndex(1, 1)).containsExactly(0);
    }

    @Test
    void temporalAvgPoolKeepsFirstFrameOfOddCounts() {
        Tensor odd = Tensor.of(new float[] {1, 2, 4, 8, 16}, 1, 1, 5, 1, 1);
        assertThat(Resample.temporalAvgPool(odd).data()).containsExactly(1, 3, 12);
        Tensor even = Tensor.of(new float[] {1, 2, 4, 8}, 1, 1, 4, 1, 1);
        assertThat(Resample.temporalAvgPool(even).data()).containsExactly(1.5f, 6);
        Tensor one = Tensor.of(new float[] {7}, 1, 1, 1, 1, 1);
        assertThat(Resample.temporalAvgPool(one).data()).containsExactly(7);
    }

    @Test
    void blendMixesTheOverlapLinearlyInPlace() {
        Tensor a = Tensor.of(new float[] {0, 10, 20, 30}, 1, 4);
        Tensor b = Tensor.of(new float[] {100, 100, 100, 100}, 1, 4);
        Layout.blend(a, b, 1, 2);
        // b[0] = a[2] * 1 + b[0] * 0, b[1] = a[3] * 0.5 + b[1] * 0.5
        assertThat(b.data()).containsExactly(20, 65, 100, 100);
    }

    @Test
    void narrowAndCatAreInverse() {
        Tensor x = Conv3dTest.random(new java.util.Random(1), 2, 3, 5, 4);
        Tensor back = Layout.cat(2, List.of(Layout.narrow(x, 2, 0, 2), Layout.narrow(x, 2, 2, 3)));
        assertThat(back.data()).containsExactly(x.data());
    }
}
