package dev.cogvideox.model.transformer;

import dev.cogvideox.model.ProcessGroup;
import dev.cogvideox.model.ThreadRanks;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One block split over sequence ranks (threads of this JVM, {@link ThreadRanks}) against the block in one process. */
class SequenceParallelTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-5b/transformer");

    /**
     * Batch 2, 16 text and 25 video tokens (41: slices of 21 and 20, rank 1's all video), RoPE: every rank gets the
     * whole block output of one process, bit for bit.
     */
    @Test
    void aBlockOnTwoSequenceRanksEqualsOneProcess() throws Exception {
        try (CogVideoXTransformer3DModel model = CogVideoXTransformer3DModel.load(MODEL)) {
            CogVideoXTransformerConfig cfg = model.config();
            CogVideoXBlock block = model.layers().blocks().getFirst();
            TorchGenerator g = new TorchGenerator(3);
            int d = cfg.innerDim(), hd = cfg.attentionHeadDim();
            Tensor hidden = g.randn(2, 25, d), encoder = g.randn(2, 16, d), temb = g.randn(2, cfg.timeEmbedDim());
            Embeddings.RotaryTable rope = new Embeddings.RotaryTable(g.randn(25, hd), g.randn(25, hd));
            CogVideoXBlock.Output one = block.forward(hidden, encoder, temb, rope);
            List<CogVideoXBlock.Output> ranks = ThreadRanks.run(1, 2, r -> block.forward(hidden, encoder, temb, rope, r.sequence()));
            for (CogVideoXBlock.Output o : ranks) {
                assertThat(o.hidden().data()).containsExactly(one.hidden().data());
                assertThat(o.encoder().data()).containsExactly(one.encoder().data());
            }
        }
    }

    @Test
    void aHeadCountTheRanksDoNotDivideIsRefused() {
        ProcessGroup three = new ProcessGroup() {
            @Override
            public int rank() {
                return 0;
            }

            @Override
            public int size() {
                return 3;
            }

            @Override
            public void allGather(float[] mine, float[] all, int[] counts) {
                throw new AssertionError("no exchange before the check");
            }

            @Override
            public void allToAll(float[] send, int[] sendCounts, float[] recv, int[] recvCounts) {
                throw new AssertionError("no exchange before the check");
            }
        };
        assertThatThrownBy(() -> new SequenceParallel(three, 16, 64, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sequence parallel over 3 ranks gives each rank heads / 3 attention heads, but the model has 2 heads: "
                        + "run a number of sequence ranks that divides 2");
    }
}
