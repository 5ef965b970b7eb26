package dev.cogvideox.serve;

import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.progress.ProgressUnit;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The progress of a running job as the pipeline reports it: the stage ("encoding prompt", "encoding" for an
 * image or video, "denoising", "decoding"), step i of N, the transformer block inside a step, frames decoded, and
 * an estimate of the time left. The estimate weighs the stages by their usual share of a run (denoising most) and
 * scales the elapsed time by the share still to do. Written by the job's thread, read by any.
 */
final class LiveProgress implements ProgressListener {
    /** Share of a run each stage takes, roughly, on the models we run; the rest is the denoising. */
    private static final double PROMPT = 0.05, ENCODE = 0.05, DECODE = 0.15;

    private final LongSupplier clock;
    private final Runnable changed;
    private final long startMillis;
    private volatile String stage = "starting";
    private volatile long done, total, block, blocks;
    private volatile int framesDecoded, framesTotal;
    private volatile double fraction;

    /** @param changed called after every update (from the job's thread) */
    LiveProgress(LongSupplier clock, int framesTotal, Runnable changed) {
        this.clock = clock;
        this.changed = changed;
        this.framesTotal = framesTotal;
        this.startMillis = clock.getAsLong();
    }

    @Override
    public void onStart(String task, long total, ProgressUnit unit) {
        this.stage = task;
        this.total = total;
        this.done = 0;
        this.block = 0;
        this.blocks = 0;
        update();
    }

    @Override
    public void onProgress(long done) {
        this.done = done;
        this.block = 0;
        this.blocks = 0;
        update();
    }

    @Override
    public void onSubProgress(long done, long total) {
        this.block = done;
        this.blocks = total;
        update();
    }

    @Override
    public void onEnd() {
        // the next stage's onStart follows; the counts stay until then
    }

    /** Frames handed to the video files so far. */
    void framesDecoded(int frames) {
        this.framesDecoded = frames;
        update();
    }

    private void update() {
        double inStage = total > 0 ? Math.min(1.0, (done + (blocks > 0 ? (double) block / blocks : 0)) / total) : 0;
        double f = switch (stage) {
            case "encoding prompt" -> PROMPT * inStage;
            case "encoding" -> PROMPT + ENCODE * inStage;
            case "denoising" -> PROMPT + ENCODE + (1 - PROMPT - ENCODE - DECODE) * inStage;
            case "decoding" -> 1 - DECODE + DECODE * inStage;
            default -> 0;
        };
        fraction = Math.max(fraction, f);
        changed.run();
    }

    /** The fraction of the whole run done, in [0, 1]. */
    double fraction() {
        return fraction;
    }

    /** What the API shows: stage, counts, fraction, elapsed and estimated remaining seconds. */
    Map<String, Object> snapshot() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("stage", stage);
        m.put("done", done);
        m.put("total", total);
        if (stage.equals("denoising")) {
            m.put("step", done);
            m.put("steps", total);
        }
        if (blocks > 0) {
            m.put("block", block);
            m.put("blocks", blocks);
        }
        m.put("framesDecoded", framesDecoded);
        m.put("framesTotal", framesTotal);
        double f = fraction;
        m.put("fraction", Math.round(f * 1000) / 1000.0);
        double elapsed = (clock.getAsLong() - startMillis) / 1000.0;
        m.put("elapsedSeconds", Math.round(elapsed * 10) / 10.0);
        if (f >= 0.02) {
            m.put("etaSeconds", Math.round(elapsed * (1 - f) / f * 10) / 10.0);
        }
        return m;
    }
}
