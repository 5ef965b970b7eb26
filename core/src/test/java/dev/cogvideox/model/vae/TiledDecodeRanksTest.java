package dev.cogvideox.model.vae;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.ThreadRanks;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tiled decode split over ranks (threads of this JVM, {@link ThreadRanks}): tiles round-robin, gathered on rank 0,
 * blended there. Rank 0's sink gets one process's frames bit for bit, the other ranks' nothing.
 */
class TiledDecodeRanksTest {
    /**
     * Two samples of 3 latent frames of 8x8 in tiles of 32x32 pixels (4x4 latents, stride 3) overlapping by 1/4: 9 tiles
     * a sample, 5 and 4 of them on 2 ranks, 3 each on 3.
     */
    @Test
    void tilesDecodedOnTwoOrThreeRanksBlendToOneProcessFrames() throws Exception {
        Random rnd = new Random(5);
        Tensor z = Tensor.zeros(2, 16, 3, 8, 8);
        for (int i = 0; i < z.numel(); i++) {
            z.data()[i] = (float) rnd.nextGaussian();
        }
        List<String> oneCalls = new ArrayList<>();
        List<float[]> one = decode(z, RunContext.NONE, oneCalls);
        assertThat(oneCalls).containsExactly("0:0+9", "1:0+9");
        for (int[] grid : new int[][]{{1, 2}, {1, 3}}) {
            List<List<float[]>> ranks = ThreadRanks.run(grid[0], grid[1], r -> decode(z, RunContext.NONE.withRanks(r), new ArrayList<>()));
            assertThat(ranks.getFirst()).hasSameSizeAs(one);
            for (int i = 0; i < one.size(); i++) {
                assertThat(ranks.getFirst().get(i)).as("%d ranks, frame batch %d", grid[0] * grid[1], i).containsExactly(one.get(i));
            }
            for (List<float[]> other : ranks.subList(1, ranks.size())) {
                assertThat(other).isEmpty();
            }
        }
    }

    private static List<float[]> decode(Tensor z, RunContext run, List<String> calls) {
        List<float[]> frames = new ArrayList<>();
        try (AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.load(GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b/vae"))) {
            VaeOptions options = vae.defaultOptions().enableTiling(32, 32, 0.25, 0.25);
            vae.decode(z, options, run, (sample, first, f) -> {
                calls.add(sample + ":" + first + "+" + f.dim(2));
                frames.add(f.data().clone());
            });
        }
        return frames;
    }
}
