package dev.cogvideox.io.video;

import dev.cogvideox.tensor.Tensor;

import java.nio.file.Path;

/**
 * Writes a video frame batch by frame batch. Frames go to a hidden temporary sibling of the output;
 * {@link #finish()} publishes it under its name; {@link #close()} without a successful {@code finish()}
 * deletes it. So {@code try (VideoWriter w = ...) { ... w.finish(); }} leaves either the whole video or
 * nothing, whatever exception or interruption happens inside. Not thread-safe.
 */
public interface VideoWriter extends AutoCloseable {
    /**
     * Appends frames {@code [n, 3, H, W]} (or one frame {@code [3, H, W]}) with values in [0, 1]. Every frame
     * must have the size of the first one.
     */
    void write(Tensor frames);

    /** Frames written so far. */
    int frameCount();

    /**
     * Completes the output and moves it to its final path, which it returns.
     *
     * @throws IllegalStateException if no frame was written
     */
    Path finish();

    /** Releases everything; deletes the temporary output unless {@link #finish()} succeeded. */
    @Override
    void close();
}
