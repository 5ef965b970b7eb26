package dev.cogvideox.train.optim;

import java.util.SplittableRandom;

/**
 * Training timesteps in {@code [0, T)}. {@link Iid} is the diffusers scripts' {@code torch.randint(0, T, (B,))};
 * {@link ExplicitUniform} is CogVideoX's Explicit Uniform Sampling (paper section 3, the SAT code's per-rank
 * intervals): {@code [0, T)} is cut into R intervals and the k-th draw comes from interval {@code k mod R}, so every R
 * consecutive draws (one batch of R samples, or R data-parallel ranks) cover every part of the schedule once.
 * With data parallelism each rank (each Frame Pack of a step's global batch) owns its own part of {@code [0, T)}
 * ({@link ExplicitUniform#ownIntervals}).
 */
public sealed interface TimestepSampler permits TimestepSampler.Iid, TimestepSampler.ExplicitUniform {
    /** The next {@code n} timesteps. */
    long[] sample(int n);

    /** Independent uniform draws. */
    final class Iid implements TimestepSampler {
        private final int numTrainTimesteps;
        private final SplittableRandom rng;

        public Iid(int numTrainTimesteps, long seed) {
            this.numTrainTimesteps = numTrainTimesteps;
            this.rng = new SplittableRandom(seed);
        }

        @Override
        public long[] sample(int n) {
            long[] t = new long[n];
            for (int i = 0; i < n; i++) {
                t[i] = rng.nextInt(numTrainTimesteps);
            }
            return t;
        }
    }

    /** Stratified draws: interval {@code r} is {@code [floor(r T / R), floor((r + 1) T / R))}. */
    final class ExplicitUniform implements TimestepSampler {
        private final int numTrainTimesteps;
        private final int intervals;
        private final SplittableRandom rng;
        private long drawn;

        public ExplicitUniform(int numTrainTimesteps, int intervals, long seed) {
            this(numTrainTimesteps, intervals, seed, 0);
        }

        /** A sampler whose next draw is the {@code drawn}-th (so it uses interval {@code drawn mod R}): how a resumed run continues. */
        public ExplicitUniform(int numTrainTimesteps, int intervals, long seed, long drawn) {
            if (intervals < 1 || intervals > numTrainTimesteps) {
                throw new IllegalArgumentException("Explicit Uniform Sampling needs 1 <= intervals <= " + numTrainTimesteps + ", got " + intervals);
            }
            this.numTrainTimesteps = numTrainTimesteps;
            this.intervals = intervals;
            this.rng = new SplittableRandom(seed);
            this.drawn = drawn;
        }

        @Override
        public long[] sample(int n) {
            long[] t = new long[n];
            for (int i = 0; i < n; i++) {
                t[i] = draw((int) (drawn++ % intervals));
            }
            return t;
        }

        /** One uniform draw from interval {@code r} (not counted as a draw of {@link #sample}). */
        public long draw(int r) {
            long lo = (long) r * numTrainTimesteps / intervals, hi = (long) (r + 1) * numTrainTimesteps / intervals;
            return lo + rng.nextLong(hi - lo);
        }

        /**
         * The intervals data-parallel share {@code share} of {@code shares} draws from, {@code {first, count}}: a
         * contiguous run of intervals, so each share owns one part of {@code [0, T)}. With at least as many shares as
         * intervals each share has one interval, {@code floor(share R / shares)}: the SAT code's rule (ranks in
         * {@code R} consecutive groups of {@code shares / R}, group g drawing from interval g) when R divides the
         * shares. With fewer shares than intervals, share s owns intervals {@code [ceil(s R / S), ceil((s + 1) R / S))}
         * and cycles through them. One share owns them all (the single-process rule above).
         */
        public static int[] ownIntervals(int share, int shares, int intervals) {
            if (share < 0 || share >= shares) {
                throw new IllegalArgumentException("share " + share + " of " + shares);
            }
            if (shares >= intervals) {
                return new int[]{(int) ((long) share * intervals / shares), 1};
            }
            int first = (int) (((long) share * intervals + shares - 1) / shares), end = (int) (((long) (share + 1) * intervals + shares - 1) / shares);
            return new int[]{first, end - first};
        }
    }
}
