package dev.cogvideox.model.cache;

import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PyramidAttentionBroadcastTest {
    private static final CogVideoXTransformerConfig CFG_2B = CogVideoXTransformerConfig.read(
            GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b/transformer/config.json"));

    /**
     * diffusers' rule, call by call for one block (skip range 2, timesteps (100, 800) open): 999 first call, 900 out of
     * range, 700 call 2 (even), 500 reused (call 3), 300 call 4 (even), 100 out of range (the bounds are excluded),
     * 50 out of range.
     */
    @Test
    void recomputesAsDiffusersHookDoes() {
        long[] ts = {999, 900, 700, 500, 300, 100, 50};
        PyramidAttentionBroadcast pab = new PyramidAttentionBroadcast("pab:2:100-800", 2, 100, 800, CFG_2B);
        List<Long> computed = new ArrayList<>();
        for (int i = 0; i < ts.length; i++) {
            pab.beginStep(i, ts[i], ts.length);
            assertThat(pab.runBlocks(Tensor.zeros(1, 1), Tensor.zeros(1, 1, 1))).isTrue();
            for (int block = 0; block < CFG_2B.numLayers(); block++) {
                Tensor reused = pab.reusedAttention(block);
                if (reused == null) {
                    if (block == 0) {
                        computed.add(ts[i]);
                    }
                    pab.attentionComputed(block, Tensor.of(new float[]{ts[i]}, 1, 1, 1));
                } else {
                    assertThat(reused.data()[0]).as("the output of the step before").isEqualTo(700f);
                }
            }
        }
        assertThat(computed).containsExactly(999L, 900L, 700L, 300L, 100L, 50L);
        CacheReport r = pab.report();
        assertThat(r.attentionReused()).isEqualTo(CFG_2B.numLayers());
        assertThat(r.describe()).contains("attention reused in 2 of 14 block passes, at steps 3");
    }

    @Test
    void skipRangeOneRecomputesEverything() {
        PyramidAttentionBroadcast pab = new PyramidAttentionBroadcast("pab:1", 1, 100, 800, CFG_2B);
        for (int i = 0; i < 4; i++) {
            pab.beginStep(i, 700 - i, 4);
            assertThat(pab.reusedAttention(0)).isNull();
            pab.attentionComputed(0, Tensor.zeros(1, 1, 1));
        }
        assertThatThrownBy(() -> new PyramidAttentionBroadcast("x", 0, 100, 800, CFG_2B)).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> new PyramidAttentionBroadcast("x", 2, 800, 100, CFG_2B)).hasMessageContaining("0 <= low < high <= 1000");
    }
}
