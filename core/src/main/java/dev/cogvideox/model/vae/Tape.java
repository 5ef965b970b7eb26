package dev.cogvideox.model.vae;

import dev.cogvideox.tensor.Tensor;

import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The record of one forward pass that a backward pass walks in reverse. The VAE's modules take a tape in their
 * forward: {@link #NONE} (inference) records nothing, a {@link #recording()} tape receives, per module call, what
 * that module's backward needs (its inputs, copied because the forward overwrites volumes in place). Each module's
 * {@code backward} takes its entry back off the tape, so backward calls must come in the exact reverse order of the
 * forward calls; a mismatch is an error naming the module. A recording may span several frame batches linked by
 * the causal convs' caches: the backward of a later batch leaves the gradient of the frames it took from the cache
 * on the tape ({@link #carry}) for the same conv's backward of the earlier batch, which comes next.
 */
public final class Tape {
    /** Records nothing: the inference forward. */
    public static final Tape NONE = new Tape(false);

    private record Entry(Object module, Object saved) {
    }

    private final boolean recording;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private final Map<Object, Tensor> carried = new IdentityHashMap<>();

    private Tape(boolean recording) {
        this.recording = recording;
    }

    /** A new, empty tape that records. */
    public static Tape recording() {
        return new Tape(true);
    }

    public boolean isRecording() {
        return recording;
    }

    /** Whether every recorded entry, and every carried gradient, has been taken back by a backward call. */
    public boolean isEmpty() {
        return entries.isEmpty() && carried.isEmpty();
    }

    /** Leaves {@code module}'s gradient of cached frames for its backward of the previous frame batch. */
    void carry(Object module, Tensor gradient) {
        if (carried.put(module, gradient) != null) {
            throw new IllegalStateException("tape: " + module + " already carries a gradient to its previous frame batch");
        }
    }

    /** The gradient {@link #carry carried} to {@code module} by its backward of the next frame batch, or null. */
    Tensor takeCarried(Object module) {
        return carried.remove(module);
    }

    /** Saves {@code saved} for {@code module}'s backward; nothing when not recording. */
    void push(Object module, Object saved) {
        if (recording) {
            entries.push(new Entry(module, saved));
        }
    }

    /** A copy of {@code t} when recording (the forward may overwrite {@code t} later), else null. */
    Tensor keep(Tensor t) {
        return recording ? t.copy() : null;
    }

    /** The last entry, which must be {@code module}'s. */
    <T> T pop(Object module, Class<T> type) {
        if (!recording) {
            throw new IllegalStateException("backward needs a recording tape (Tape.recording()), not Tape.NONE");
        }
        Entry e = entries.poll();
        if (e == null || e.module() != module) {
            throw new IllegalStateException("tape out of order: backward of " + module + " but the last recorded module is "
                    + (e == null ? "none" : e.module()));
        }
        return type.cast(e.saved());
    }
}
