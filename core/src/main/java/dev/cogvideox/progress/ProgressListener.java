package dev.cogvideox.progress;

/**
 * Receives the progress of one task at a time: {@code onStart}, any number of {@code onProgress} (and
 * {@code onSubProgress} within an item), {@code onEnd}.
 * A pipeline reports "denoising" (steps) then "decoding" (decoder passes: frame batches of every tile); a download reports bytes.
 * Calls come from the thread running the task; implementations must be quick (they run between steps).
 */
public interface ProgressListener {
    /** A listener that ignores everything. */
    ProgressListener NONE = new ProgressListener() {
        @Override
        public void onStart(String task, long total, ProgressUnit unit) {
        }

        @Override
        public void onProgress(long done) {
        }

        @Override
        public void onEnd() {
        }
    };

    /** What a listener that hears only the parts of items ({@link #ofParts}) does with them. */
    @FunctionalInterface
    interface Parts {
        void onSubProgress(long done, long total);
    }

    /**
     * A listener that hears only {@link #onSubProgress}: for a module whose blocks or parts are parts of its caller's
     * current item (its caller owns the task), to place them among the caller's parts or count them as it likes.
     */
    static ProgressListener ofParts(Parts parts) {
        return new ProgressListener() {
            @Override
            public void onStart(String task, long total, ProgressUnit unit) {
            }

            @Override
            public void onProgress(long done) {
            }

            @Override
            public void onSubProgress(long done, long total) {
                parts.onSubProgress(done, total);
            }

            @Override
            public void onEnd() {
            }
        };
    }

    /**
     * A listener for a task that runs inside one item of {@code outer}'s task (a video's VAE encoding inside "encoding
     * videos", a validation video inside a training step): its progress, and the parts of its items, become the outer
     * item's {@link #onSubProgress}; its start and end are not shown. Each task it starts counts from zero again.
     */
    static ProgressListener insideItemOf(ProgressListener outer) {
        return new ProgressListener() {
            private long total;
            private long done;

            @Override
            public void onStart(String task, long total, ProgressUnit unit) {
                this.total = total;
                this.done = 0;
                if (total > 0) {
                    outer.onSubProgress(0, total);
                }
            }

            @Override
            public void onProgress(long done) {
                this.done = done;
                if (total > 0) {
                    outer.onSubProgress(done, total);
                }
            }

            @Override
            public void onSubProgress(long part, long parts) {
                if (total > 0 && parts > 0) {
                    outer.onSubProgress(done * parts + part, total * parts);
                }
            }

            @Override
            public void onEnd() {
                // the outer item goes on
            }
        };
    }

    /**
     * A task begins.
     *
     * @param task  short name shown to the user, e.g. "denoising"
     * @param total the count at which the task is complete; 0 or less when unknown
     * @param unit  what is counted
     */
    void onStart(String task, long total, ProgressUnit unit);

    /** A task counting {@link ProgressUnit#ITEMS} begins. */
    default void onStart(String task, long total) {
        onStart(task, total, ProgressUnit.ITEMS);
    }

    /**
     * A task resumed part way begins (a training run from its checkpoint): {@code onStart} then
     * {@code onProgress(startingAt)}, except that a bar measures its rate and ETA from {@code startingAt} rather than
     * from zero, since the items before it were done by an earlier run.
     */
    default void onStart(String task, long total, ProgressUnit unit, long startingAt) {
        onStart(task, total, unit);
        onProgress(startingAt);
    }

    /** Absolute count done so far (not an increment), between 0 and the total. */
    void onProgress(long done);

    /**
     * Progress inside the item after the last {@link #onProgress} count, e.g. the transformer blocks of a denoising
     * step that takes minutes on a CPU: {@code done} of {@code total} parts. The next {@code onProgress} clears it.
     */
    default void onSubProgress(long done, long total) {
    }

    /** The current task is over (complete or abandoned). */
    void onEnd();
}
