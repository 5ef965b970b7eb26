package dev.cogvideox.random;

import dev.cogvideox.tensor.Shapes;
import dev.cogvideox.tensor.Tensor;

import java.util.Arrays;
import java.util.List;

/**
 * Where model code gets Gaussian noise: {@code randn_tensor(shape, generator)} in diffusers. Either drawn from a
 * {@link TorchGenerator} or replayed from the reference's recorded draws ({@code in.noise.<j>},
 * {@code in.step_noise.<i>.<j>}) in call order, which reproduces the reference exactly.
 */
@FunctionalInterface
public interface NoiseSource {
    /** The next standard-normal float32 tensor of {@code shape}. */
    Tensor randn(int... shape);

    /** Draws from {@code generator}, exactly as {@code torch.randn(shape, generator=generator)}. */
    static NoiseSource of(TorchGenerator generator) {
        return generator::randn;
    }

    /** Replays {@code draws} in order; each request must ask for the shape of the next draw. */
    static Replay replay(List<Tensor> draws) {
        return new Replay(draws);
    }

    /** A recorded sequence of draws, handed out in order. */
    final class Replay implements NoiseSource {
        private final List<Tensor> draws;
        private int next;

        private Replay(List<Tensor> draws) {
            this.draws = List.copyOf(draws);
        }

        @Override
        public Tensor randn(int... shape) {
            if (next >= draws.size()) {
                throw new IllegalStateException("noise replay exhausted: draw " + next + " of shape " + Shapes.str(shape)
                        + " requested, only " + draws.size() + " recorded");
            }
            Tensor t = draws.get(next);
            if (!Arrays.equals(t.shape(), shape)) {
                throw new IllegalStateException("noise replay: draw " + next + " has shape " + Shapes.str(t.shape())
                        + " but shape " + Shapes.str(shape) + " was requested");
            }
            next++;
            return t.copy();
        }

        /** How many recorded draws have not been used yet. */
        public int remaining() {
            return draws.size() - next;
        }
    }
}
