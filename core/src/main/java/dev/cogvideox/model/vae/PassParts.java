package dev.cogvideox.model.vae;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.progress.ProgressListener;

/**
 * Progress inside one encoder or decoder pass, which takes minutes at full size: a module reports the parts it
 * finishes as parts of the caller's current item ({@link ProgressListener#onSubProgress}), as the transformer reports
 * its blocks, and checks the run's token at each; a module inside another gets a run that places its parts among its
 * parent's ({@link #within}).
 */
final class PassParts {
    private PassParts() {
    }

    /** Part {@code done} of the {@code parts} of a module is finished: the token is checked, the progress told. */
    static void done(RunContext run, int done, int parts) {
        run.cancel().throwIfCancelled();
        run.progress().onSubProgress(done, parts);
    }

    /** The run of a module whose parts are parts {@code first + 1, first + 2, ...} of its parent's {@code total}. */
    static RunContext within(RunContext run, int first, int total) {
        ProgressListener parent = run.progress();
        if (parent == ProgressListener.NONE) {
            return run;
        }
        return run.withProgress(ProgressListener.ofParts((part, parts) -> parent.onSubProgress(first + part, total)));
    }
}
