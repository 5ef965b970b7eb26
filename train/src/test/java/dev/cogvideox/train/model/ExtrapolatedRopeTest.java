package dev.cogvideox.train.model;

import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.model.transformer.Embeddings;
import dev.cogvideox.model.transformer.RotaryPositions;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Extrapolated RoPE: the pipeline's table at the base grid; on a larger grid the base positions keep their angles. */
class ExtrapolatedRopeTest {
    private static final CogVideoXTransformerConfig CFG = CogVideoXTransformerConfig.read(
            GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-5b/transformer/config.json"));

    @Test
    void equalsThePipelineTableAtTheBaseGrid() {
        Embeddings.RotaryTable ours = ExtrapolatedRope.forLatents(CFG, 3, CFG.sampleHeight(), CFG.sampleWidth());
        Embeddings.RotaryTable pipeline = RotaryPositions.forLatents(CFG, CFG.sampleHeight(), CFG.sampleWidth(), 3);
        assertThat(ours.cos().data()).containsExactly(pipeline.cos().data(), within(1e-6f));
        assertThat(ours.sin().data()).containsExactly(pipeline.sin().data(), within(1e-6f));
    }

    @Test
    void aLargerGridExtendsThePositionsInsteadOfSqueezingThem() {
        int p = CFG.patchSize(), baseH = CFG.sampleHeight() / p, baseW = CFG.sampleWidth() / p, d = CFG.attentionHeadDim();
        Embeddings.RotaryTable base = ExtrapolatedRope.forLatents(CFG, 1, CFG.sampleHeight(), CFG.sampleWidth());
        Embeddings.RotaryTable large = ExtrapolatedRope.forLatents(CFG, 1, 2 * CFG.sampleHeight(), 2 * CFG.sampleWidth());
        Embeddings.RotaryTable squeezed = RotaryPositions.forLatents(CFG, 2 * CFG.sampleHeight(), 2 * CFG.sampleWidth(), 1);
        boolean squeezedDiffers = false;
        for (int h = 0; h < baseH; h++) {
            for (int w = 0; w < baseW; w++) {
                int small = h * baseW + w, big = h * 2 * baseW + w;
                for (int i = 0; i < d; i++) {
                    assertThat(large.cos().data()[big * d + i]).isEqualTo(base.cos().data()[small * d + i]);
                    squeezedDiffers |= Math.abs(squeezed.cos().data()[big * d + i] - base.cos().data()[small * d + i]) > 1e-3;
                }
            }
        }
        assertThat(squeezedDiffers).as("the pipeline's interpolated table differs at the same patches").isTrue();
    }
}
