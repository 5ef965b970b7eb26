package dev.cogvideox.train.run;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Frame Pack batching: walks a stage's samples in a shuffled order (one order per epoch, from the seed, the stage and
 * the epoch) and fills each step with clips while their tokens (text plus video patches) fit the budget; the first
 * clip of a step is always taken. A step never spans two epochs, so no clip appears twice in one step.
 */
final class FramePacker {
    private final int[] tokens;
    private final int budget;
    private final long seed;
    private final int stage;

    /** What one step takes and where the walk continues. */
    record Pack(List<Integer> samples, int tokens, int epoch, int cursor) {
    }

    /** @param tokens the tokens of each sample's clip */
    FramePacker(int[] tokens, int budget, long seed, int stage) {
        this.tokens = tokens.clone();
        this.budget = budget;
        this.seed = seed;
        this.stage = stage;
    }

    Pack next(int epoch, int cursor) {
        if (cursor >= tokens.length) {
            epoch++;
            cursor = 0;
        }
        int[] order = order(epoch);
        List<Integer> taken = new ArrayList<>();
        int used = 0;
        while (cursor < order.length && (taken.isEmpty() || used + tokens[order[cursor]] <= budget)) {
            used += tokens[order[cursor]];
            taken.add(order[cursor++]);
        }
        return new Pack(taken, used, epoch, cursor);
    }

    /** A Fisher-Yates permutation of the samples for one epoch. */
    private int[] order(int epoch) {
        SplittableRandom rng = new SplittableRandom(seed ^ (0xD1B54A32D192ED03L * (stage + 1)) ^ (0x8CB92BA72F3D8DD7L * (epoch + 1)));
        int[] order = new int[tokens.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (int i = order.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
