package dev.cogvideox.io.video;

import dev.cogvideox.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The frame bookkeeping and temporary-output handling every writer shares; subclasses encode. The encoder is
 * started by the first frame, whose size every later frame must have.
 */
abstract class AtomicVideoWriter implements VideoWriter {
    protected final TempOutput temp;
    private final Path target;
    private int width;
    private int height;
    private int frames;
    private boolean finished;
    private boolean failed;

    protected AtomicVideoWriter(Path target, TempOutput temp) {
        this.target = target;
        this.temp = temp;
    }

    /** Starts encoding frames of this size into {@code temp.path()}. */
    protected abstract void begin(int width, int height) throws IOException;

    /** Encodes the next frame (already checked to have the size given to {@link #begin}). */
    protected abstract void append(RgbImage frame, int index) throws IOException;

    /** Flushes and closes the encoder after the last frame. */
    protected abstract void end() throws IOException;

    /** Releases the encoder after a failure or without {@code finish()}; must not throw. */
    protected abstract void abandon();

    @Override
    public final void write(Tensor batch) {
        if (finished) {
            throw new IllegalStateException(target + ": writer already finished");
        }
        int n = batch.rank() == 3 ? 1 : batch.dim(0);
        boolean ok = false;
        try {
            for (int i = 0; i < n; i++) {
                RgbImage frame = RgbImage.fromTensor(batch, i);
                if (frames == 0) {
                    width = frame.width();
                    height = frame.height();
                    begin(width, height);
                } else if (frame.width() != width || frame.height() != height) {
                    throw new IllegalArgumentException(target + ": frame " + frames + " is " + frame.width() + "x"
                            + frame.height() + ", the video is " + width + "x" + height);
                }
                append(frame, frames);
                frames++;
            }
            ok = true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + message(e), e);
        } finally {
            failed |= !ok;
        }
    }

    @Override
    public final int frameCount() {
        return frames;
    }

    @Override
    public final Path finish() {
        if (failed) {
            throw new IllegalStateException(target + ": a write failed; the output is discarded on close");
        }
        if (frames == 0) {
            throw new IllegalStateException(target + ": no frames written");
        }
        try {
            end();
            Path published = temp.publish();
            finished = true;
            return published;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + message(e), e);
        }
    }

    @Override
    public final void close() {
        if (!finished) {
            abandon();
            temp.discard();
        }
    }

    /** An I/O error's message; FFmpeg's are turned into a plain sentence. */
    private static String message(IOException e) {
        return e.getClass().getName().startsWith("org.bytedeco.") ? Ffmpeg.describe(e) : e.getMessage();
    }
}
