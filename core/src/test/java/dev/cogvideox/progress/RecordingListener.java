package dev.cogvideox.progress;

import java.util.ArrayList;
import java.util.List;

/**
 * A listener for tests: records each call as text ({@code "decoding 8"}, {@code "done 3"}, {@code "part 2/42"},
 * {@code "end"}) and cancels its token right after recording {@code cancelAt}.
 */
public final class RecordingListener implements ProgressListener {
    public final List<String> calls = new ArrayList<>();
    public final CancellationToken cancel = new CancellationToken();
    private final String cancelAt;

    /** @param cancelAt the recorded call after which to cancel, or null for never */
    public RecordingListener(String cancelAt) {
        this.cancelAt = cancelAt;
    }

    private void record(String call) {
        calls.add(call);
        if (call.equals(cancelAt)) {
            cancel.cancel();
        }
    }

    @Override
    public void onStart(String task, long total, ProgressUnit unit) {
        record(task + " " + total);
    }

    @Override
    public void onProgress(long done) {
        record("done " + done);
    }

    @Override
    public void onSubProgress(long done, long total) {
        record("part " + done + "/" + total);
    }

    @Override
    public void onEnd() {
        record("end");
    }
}
