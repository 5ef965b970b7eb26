package dev.cogvideox.model.sparse;

import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SparseVideoAttentionTest {
    /** 2 text tokens, then 3 frames of 4 tokens. */
    private final SparseVideoAttention svg = new SparseVideoAttention("sparse:0", 0, 3, 4);

    @Test
    void masksAreTheTextAndTheTasksFramesOrPositions() {
        // queries 6..7 are frame 1, positions 0..1
        assertThat(svg.spatialRanges(2, 6, 2)).containsExactly(0, 2, 6, 10);
        assertThat(svg.temporalRanges(2, 6, 2)).containsExactly(0, 2, 2, 4, 6, 8, 10, 12);
        // queries 5..7 run from frame 0 position 3 into frame 1: two frames; positions 3 and 0..1 (wrapping)
        assertThat(svg.spatialRanges(2, 5, 3)).containsExactly(0, 2, 2, 10);
        assertThat(svg.temporalRanges(2, 5, 3)).containsExactly(0, 2, 2, 4, 5, 6, 6, 8, 9, 10, 10, 12, 13, 14);
        assertThat(svg.temporalRanges(2, 2, 4)).as("a whole frame of positions is every key").isNull();
    }

    /**
     * Head 0's queries and keys point along their frame's axis, head 1's along their position's: the profiling finds
     * head 0 spatial and head 1 temporal.
     */
    @Test
    void profilingFindsSpatialAndTemporalHeads() {
        int text = 2, l = text + 12, heads = 2, d = 4, width = heads * d;
        float[] q = new float[l * width], v = new float[l * width];
        for (int i = text; i < l; i++) {
            int frame = (i - text) / 4, pos = (i - text) % 4;
            q[i * width + frame] = 5;                        // head 0: frame axis
            q[i * width + d + pos] = 5;                      // head 1: position axis
            for (int e = 0; e < width; e++) {
                v[i * width + e] = (float) Math.sin(i * 1.7 + e);
            }
        }
        Tensor qt = Tensor.of(q, 1, l, width);
        boolean[] temporal = svg.classify(Kernels.JAVA, qt, qt, Tensor.of(v, 1, l, width), heads, text);
        assertThat(temporal).containsExactly(false, true);
    }

    @Test
    void settingsParseAndRefuseOutOfRange() {
        assertThat(SparseSetting.parse("dense").sparse()).isFalse();
        assertThat(SparseSetting.parse("sparse").denseFraction()).isEqualTo(0.3);
        assertThat(SparseSetting.parse("sparse:0.5").denseFraction()).isEqualTo(0.5);
        assertThatThrownBy(() -> SparseSetting.parse("sparse:1.5")).hasMessageContaining("must be in [0, 1]");
        assertThatThrownBy(() -> SparseSetting.parse("sparse:x")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> SparseSetting.parse("radial")).hasMessageContaining("is not an attention setting");
    }
}
