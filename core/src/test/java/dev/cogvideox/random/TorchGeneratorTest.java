package dev.cogvideox.random;

import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenCase;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TorchGeneratorTest {
    private static float[] concat(float[] a, float[] b) {
        float[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void engineIsTheStandardMersenneTwister() {
        // C++ [rand.predef]: the 10000th output of a default-constructed std::mt19937 (seed 5489) is 4123659995.
        TorchGenerator g = new TorchGenerator(5489);
        assertThat(g.random()).isEqualTo(3499211612L);
        for (int i = 2; i < 10000; i++) {
            g.random();
        }
        assertThat(g.random()).isEqualTo(4123659995L);
    }

    @Test
    void random64PutsTheFirstDrawInTheHighHalf() {
        TorchGenerator a = new TorchGenerator(7), b = new TorchGenerator(7);
        long hi = b.random(), lo = b.random();
        assertThat(a.random64()).isEqualTo((hi << 32) | lo);
    }

    @Test
    void sameSeedSameStreamAcrossDraws() {
        TorchGenerator a = new TorchGenerator(99), b = new TorchGenerator(99);
        for (int[] shape : List.of(new int[]{5}, new int[]{2, 16}, new int[]{3}, new int[]{1, 3, 16, 4, 4}, new int[]{17})) {
            assertThat(a.randn(shape).data()).isEqualTo(b.randn(shape).data());
        }
        assertThat(a.random()).isEqualTo(b.random());
    }

    @Test
    void smallDrawsShareTheCachedSecondSample() {
        // Below 16 elements torch samples element by element and caches r*sin for the next element, even across
        // calls: randn(3) followed by randn(1) is randn(4). manual_seed clears the cache.
        TorchGenerator a = new TorchGenerator(3), b = new TorchGenerator(3);
        float[] split = concat(a.randn(3).data(), a.randn(1).data());
        assertThat(split).isEqualTo(b.randn(4).data());
        a.manualSeed(3);
        assertThat(a.randn(4).data()).isEqualTo(split);
    }

    @Test
    void largeDrawsRedrawTheLastSixteenWhenNotAMultipleOfSixteen() {
        // 17 elements: 17 uniforms, then 16 fresh ones for the overlapping tail block: 33 draws in all.
        TorchGenerator a = new TorchGenerator(11), b = new TorchGenerator(11);
        Tensor t = a.randn(17);
        for (int i = 0; i < 33; i++) {
            b.random();
        }
        assertThat(a.random()).isEqualTo(b.random());
        // only element 0 keeps its value from the first block; 1..16 come from the redrawn tail block
        float[] sixteen = new TorchGenerator(11).randn(16).data();
        assertThat(t.data()[0]).isEqualTo(sixteen[0]);
        assertThat(t.data()[1]).isNotEqualTo(sixteen[1]);
    }

    @Test
    void consecutiveDrawsReproduceAPipelineRun() {
        // pipeline_e2e_t2v_5b_prompt: manual_seed(1234), then the initial latents and the four DPM step draws.
        Path json = GoldenSuite.defaultFixtureRoot().resolve("golden/pipeline_e2e_t2v_5b_prompt.json");
        try (GoldenCase c = GoldenCase.open(json)) {
            TorchGenerator g = new TorchGenerator(1234);
            for (int j = 0; j < 5; j++) {
                Tensor expected = c.tensor("in.noise." + j);
                assertThat(g.randn(expected.shape()).data()).as("in.noise.%d", j).isEqualTo(expected.data());
            }
        }
    }

    @Test
    void replayHandsOutDrawsInOrderAndChecksShapes() {
        NoiseSource.Replay r = NoiseSource.replay(List.of(Tensor.of(new float[]{1, 2}, 2), Tensor.of(new float[]{3}, 1)));
        assertThat(r.randn(2).data()).containsExactly(1, 2);
        assertThatThrownBy(() -> r.randn(2)).hasMessageContaining("draw 1 has shape [1]");
        assertThat(r.randn(1).data()).containsExactly(3);
        assertThat(r.remaining()).isZero();
        assertThatThrownBy(() -> r.randn(1)).hasMessageContaining("exhausted");
    }
}
