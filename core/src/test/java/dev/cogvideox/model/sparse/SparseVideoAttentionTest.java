package dev.cogvideox.model.sparse;

import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SparseVideoAttentionTest {
    /** 2 text tokens, then 3 frames of 4 tokens. */
    private final SparseVideoAttention svg = new SparseVideoAttention("sparse:0", 0, 3, 4);
    private static final int TEXT = 2;

    /**
     * Queries (also used as keys) and values of {@code heads} heads of 4 channels over 2 text tokens and 3 frames of 4:
     * head 0's video queries point along their frame's axis, head 1's along their position's, any further head's are
     * zero (it attends every key equally); the values are a smooth pattern.
     */
    private static Tensor[] queriesAndValues(int heads) {
        int l = TEXT + 12, d = 4, width = heads * d;
        float[] q = new float[l * width], v = new float[l * width];
        for (int i = TEXT; i < l; i++) {
            int frame = (i - TEXT) / 4, pos = (i - TEXT) % 4;
            q[i * width + frame] = 5;
            q[i * width + d + pos] = 5;
            for (int e = 0; e < width; e++) {
                v[i * width + e] = (float) Math.sin(i * 1.7 + e);
            }
        }
        return new Tensor[]{Tensor.of(q, 1, l, width), Tensor.of(v, 1, l, width)};
    }

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
        Tensor[] qv = queriesAndValues(2);
        Tensor qt = qv[0];
        assertThat(svg.classify(Kernels.JAVA, qt, qt, qv[1], 2, TEXT))
                .containsExactly(SparseVideoAttention.Mask.SPATIAL, SparseVideoAttention.Mask.TEMPORAL);
    }

    /**
     * Head 2 has zero queries, so it attends every key equally: its own frame (spatial) or its own position (temporal)
     * alone gives another mean of the values. With a largest error it stays dense; heads 0 and 1, whose masks hold
     * all but e^-12.5 of their attention, still go sparse. Without one (SVG's rule) head 2 takes the better mask.
     */
    @Test
    void aHeadNeitherMaskFitsStaysDenseUnderAnErrorLimit() {
        int text = TEXT, l = text + 12, heads = 3, width = heads * 4;
        Tensor[] qv = queriesAndValues(heads);
        Tensor qt = qv[0], vt = qv[1];
        SparseVideoAttention limited = new SparseVideoAttention("sparse:0:0.01", 0, 0.01, 3, 4);
        assertThat(limited.classify(Kernels.JAVA, qt, qt, vt, heads, text))
                .containsExactly(SparseVideoAttention.Mask.SPATIAL, SparseVideoAttention.Mask.TEMPORAL, SparseVideoAttention.Mask.DENSE);
        assertThat(svg.classify(Kernels.JAVA, qt, qt, vt, heads, text)[2]).isNotEqualTo(SparseVideoAttention.Mask.DENSE);

        // at a sparse step the dense head selects every key for its video queries; a step with only dense heads is the dense kernel
        limited.beginStep(0, 999, 1);
        var keys = limited.attentionKeys(Kernels.JAVA, 0, qt, qt, vt, heads, text);
        assertThat(keys.keyRanges(2, 6, 2)).isNull();
        assertThat(keys.keyRanges(0, 6, 2)).containsExactly(0, 2, 6, 10);
        assertThat(limited.headCounts()).containsExactly(1, 1, 1);
        float[] none = new float[l * width];
        Tensor zero = Tensor.of(none, 1, l, width);
        assertThat(limited.attentionKeys(Kernels.JAVA, 0, zero, zero, vt, heads, text)).as("every head dense").isNull();
        assertThat(limited.describe()).contains("1 spatial and 1 temporal head passes, 4 kept dense (neither mask within 0.01)");
    }

    @Test
    void settingsParseAndRefuseOutOfRange() {
        assertThat(SparseSetting.parse("dense").sparse()).isFalse();
        assertThat(SparseSetting.parse("sparse").denseFraction()).isEqualTo(0.3);
        assertThat(SparseSetting.parse("sparse:0.5").denseFraction()).isEqualTo(0.5);
        assertThatThrownBy(() -> SparseSetting.parse("sparse:1.5")).hasMessageContaining("must be in [0, 1]");
        assertThatThrownBy(() -> SparseSetting.parse("sparse:x")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> SparseSetting.parse("radial")).hasMessageContaining("is not an attention setting");
        assertThat(SparseSetting.parse("sparse:0.2:0.05").maxError()).isEqualTo(0.05);
        assertThat(SparseSetting.parse("sparse:0.2").maxError()).isInfinite();
        assertThatThrownBy(() -> SparseSetting.parse("sparse:0.2:0")).hasMessageContaining("must be a positive number");
        assertThatThrownBy(() -> SparseSetting.parse("sparse:0.2:x")).hasMessageContaining("the largest error of a sparse head is not a number");
        assertThatThrownBy(() -> SparseSetting.parse("sparse:0.2:0.1:3")).hasMessageContaining("expected sparse:FRACTION or sparse:FRACTION:MAX_ERROR");
    }
}
