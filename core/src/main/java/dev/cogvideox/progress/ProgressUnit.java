package dev.cogvideox.progress;

/** What a task counts, so a renderer can print {@code 12/50 steps} or {@code 1.2/9.3 GiB}. */
public enum ProgressUnit {
    /** Whole items: steps, frames, files. */
    ITEMS,
    /** Bytes, shown with binary prefixes. */
    BYTES
}
