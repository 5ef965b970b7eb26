package dev.cogvideox.train.vae;

import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.optim.AdamW;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * AdamW on the VAE's own modules learns to reconstruct one small clip. A reconstruction of the background alone
 * scores an L1 of 0.25 (the square covers a quarter of the frame, 1.0 away from it on average), a quarter of the
 * start: the bound asks for the square as well.
 */
class VaeTrainingLoopTest {

    @Test
    void adamWReconstructsOneClip() {
        TrainableVae vae = TrainableVae.initial(TinyVae.CONFIG, 3);
        Tensor clip = TinyVae.movingSquare(5, 8);
        VaeLoss.Config cfg = new VaeLoss.Config(VaeLoss.Reconstruction.L1, 1e-3, false);
        AdamW adam = new AdamW(vae.parameters().trainable(), new AdamW.Config(0.9, 0.99, 1e-8, 0));
        double first = 0, last = 0;
        for (int step = 0; step < 120; step++) {
            vae.parameters().zeroGrad();
            VaeLoss.Value v = VaeLoss.step(vae, clip, TinyVae.randn(100 + step, 1, 4, 3, 4, 4), cfg);
            assertThat(v.loss()).as("loss at step %d", step).isFinite();
            if (step == 0) {
                first = v.reconstruction();
            }
            last = v.reconstruction();
            adam.step(1e-2);
        }
        assertThat(last).as("L1 reconstruction after 120 steps, from %s", first).isLessThan(0.15 * first);
    }
}
