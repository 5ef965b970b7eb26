package dev.cogvideox.serve;

import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.progress.ProgressUnit;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The progress of a running job as the pipeline reports it: the stage ("encoding prompt", "encoding" for an
 * image or video, "denoising", "decoding"), step i of N, the transformer block inside a step, frames decoded, and
 * an estimate of the time left. The bar's fraction gives the prompt and the image encoding 5% each, the denoising
 * up to 85% and the decoding the rest. The time left is the current stage's rate applied to what it has still to
 * do, plus, while denoising, the decoding, taken as {@value #DECODE_PER_DENOISE} of the denoising time (the share
 * it has on the tiny and full-size models alike, roughly). Written by the job's thread, read by any.
 */
final class LiveProgress implements ProgressListener {
    private static final double STAGE_SHARE = 0.05, DENOISED = 0.85;
    static final double DECODE_PER_DENOISE = 0.2;

    private final LongSupplier clock;
    private final Runnable changed;
    private final long startMillis;
    private volatile String stage = "starting";
    private volatile long done, total, block, blocks;
    private volatile int framesDecoded, framesTotal;
    private volatile double fraction, stageBase;
    private volatile long stageStartMillis;

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
        this.stageBase = fraction;
        this.stageStartMillis = clock.getAsLong();
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

    private double inStage() {
        return total > 0 ? Math.min(1.0, (done + (blocks > 0 ? (double) block / blocks : 0)) / total) : 0;
    }

    private void update() {
        double end = switch (stage) {
            case "denoising" -> DENOISED;
            case "decoding" -> 1.0;
            default -> Math.min(stageBase + STAGE_SHARE, DENOISED);
        };
        fraction = Math.max(fraction, stageBase + (end - stageBase) * inStage());
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
        long now = clock.getAsLong();
        m.put("elapsedSeconds", Math.round((now - startMillis) / 100.0) / 10.0);
        double in = inStage(), stageSeconds = (now - stageStartMillis) / 1000.0;
        if (in > 0 && (stage.equals("denoising") || stage.equals("decoding"))) {
            double left = stageSeconds / in * (1 - in);
            if (stage.equals("denoising")) {
                left += stageSeconds / in * DECODE_PER_DENOISE;
            }
            m.put("etaSeconds", Math.round(left * 10) / 10.0);
        }
        return m;
    }
}
