package dev.cogvideox.model;

import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;

import java.util.Objects;

/**
 * What one run of a model or a pipeline reports to and is stopped by, passed as one value: its progress listener,
 * its cancellation token, its debug taps and the ranks it shares its work with ({@link Ranks}: parallel inference).
 * None of them is ever null: {@link #NONE} is a run nobody watches, stops or taps, done by this process alone.
 */
public record RunContext(ProgressListener progress, CancellationToken cancel, Taps taps, Ranks ranks) {
    public static final RunContext NONE = new RunContext(ProgressListener.NONE, CancellationToken.NONE, Taps.NONE);

    public RunContext {
        Objects.requireNonNull(progress, "progress: give ProgressListener.NONE for none");
        Objects.requireNonNull(cancel, "cancel: give CancellationToken.NONE for a run that cannot be cancelled");
        Objects.requireNonNull(taps, "taps: give Taps.NONE for none");
        Objects.requireNonNull(ranks, "ranks: give Ranks.SINGLE for a run of this process alone");
    }

    /** A run of this process alone. */
    public RunContext(ProgressListener progress, CancellationToken cancel, Taps taps) {
        this(progress, cancel, taps, Ranks.SINGLE);
    }

    /** A run reporting to {@code progress} and stopped by {@code cancel}, without taps. */
    public static RunContext of(ProgressListener progress, CancellationToken cancel) {
        return new RunContext(progress, cancel, Taps.NONE);
    }

    /** The same run reporting to {@code progress} instead (a part of it whose progress the caller counts itself). */
    public RunContext withProgress(ProgressListener progress) {
        return new RunContext(progress, cancel, taps, ranks);
    }

    /** The same run with {@code taps} instead ({@link Taps#NONE} for a part whose inner tensors the caller does not want). */
    public RunContext withTaps(Taps taps) {
        return new RunContext(progress, cancel, taps, ranks);
    }

    /** The same run split over {@code ranks} instead. */
    public RunContext withRanks(Ranks ranks) {
        return new RunContext(progress, cancel, taps, ranks);
    }
}
