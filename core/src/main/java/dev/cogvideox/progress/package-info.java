/**
 * Progress reporting and cancellation for long operations: the {@link dev.cogvideox.progress.ProgressListener}
 * a pipeline reports to (denoising steps, decoded frames, downloaded bytes), a terminal renderer, and the
 * {@link dev.cogvideox.progress.CancellationToken} a pipeline checks between steps.
 */
package dev.cogvideox.progress;
