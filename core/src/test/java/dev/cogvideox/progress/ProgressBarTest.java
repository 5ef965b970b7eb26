package dev.cogvideox.progress;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CancellationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProgressBarTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private long now;

    private String output() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void terminalBarRedrawsInPlaceWithElapsedEtaAndRate() {
        ProgressBar bar = new ProgressBar(out, true, 72, () -> now);
        bar.onStart("denoising", 50);
        now = 30_000_000_000L;
        bar.onProgress(12);
        now += 50_000_000L; // within 100 ms of the last redraw: skipped
        bar.onProgress(13);
        String[] frames = output().split("\r");
        assertThat(frames).hasSize(3); // "", the start, 12/50
        assertThat(frames[2]).startsWith("denoising [").contains("12/50 24% 00:30<01:35 2.50 s/it");
        assertThat(frames[2]).hasSize(72);
        now = 100_000_000_000L;
        bar.onProgress(50);
        bar.onEnd();
        assertThat(output()).endsWith("50/50 100% 01:40<00:00 2.00 s/it" + System.lineSeparator());
        assertThat(output()).contains("[" + "#".repeat(72 - "denoising ".length() - " 50/50 100% 01:40<00:00 2.00 s/it".length() - 2) + "]");
    }

    @Test
    void aResumedTaskMeasuresRateAndEtaFromWhereItResumed() {
        // train-vae --resume at step 500 of 1500: the 500 steps of the earlier run take no time in this one
        ProgressBar bar = new ProgressBar(out, true, 90, () -> now);
        bar.onStart("training the VAE", 1500, ProgressUnit.ITEMS, 500);
        String[] frames = output().split("\r");
        assertThat(frames[frames.length - 1]).contains("500/1500 33% 00:00<? ? it/s");
        now = 20_000_000_000L;
        bar.onProgress(510);   // 10 steps in 20 s: 2 s/it, 990 steps left
        frames = output().split("\r");
        assertThat(frames[frames.length - 1]).contains("510/1500 34% 00:20<33:00 2.00 s/it");
    }

    @Test
    void aResumedTaskPrintsPlainLinesFromTheNextTenthOn() {
        ProgressBar bar = new ProgressBar(out, false, 80, () -> now);
        bar.onStart("training", 100, ProgressUnit.ITEMS, 35);
        assertThat(output()).isEmpty();
        for (int i = 36; i <= 40; i++) {
            now += 1_000_000_000L;
            bar.onProgress(i);
        }
        assertThat(output()).isEqualTo("training: 40/100 40% 00:05<01:00 1.00 it/s" + System.lineSeparator());
    }

    @Test
    void theDefaultResumedStartIsAStartThenTheCount() {
        RecordingListener r = new RecordingListener(null);
        r.onStart("training", 10, ProgressUnit.ITEMS, 4);
        assertThat(r.calls).containsExactly("training 10", "done 4");
    }

    @Test
    void plainOutputPrintsOneLinePerTenthAndAnEndLine() {
        ProgressBar bar = new ProgressBar(out, false, 80, () -> now);
        bar.onStart("decoding", 49);
        for (int i = 1; i <= 49; i++) {
            now += 1_000_000_000L;
            bar.onProgress(i);
        }
        bar.onEnd();
        String[] lines = output().split(System.lineSeparator());
        assertThat(lines).hasSize(10);
        assertThat(lines[0]).isEqualTo("decoding: 5/49 10% 00:05<00:44 1.00 it/s");
        assertThat(lines[9]).isEqualTo("decoding: 49/49 100% 00:49<00:00 1.00 it/s done");
        assertThat(output()).doesNotContain("\r");
    }

    @Test
    void progressInsideAnItemCountsAsAFractionOfIt() {
        ProgressBar bar = new ProgressBar(out, true, 90, () -> now);
        bar.onStart("denoising", 2);
        now = 60_000_000_000L;
        bar.onSubProgress(21, 42);   // half of the first of two steps after 60 s
        String[] frames = output().split("\r");
        assertThat(frames[frames.length - 1]).contains("0/2 [21/42] 25% 01:00<03:00 120.00 s/it");
        now = 120_000_000_000L;
        bar.onProgress(1);           // the step is done: the part inside it is cleared
        frames = output().split("\r");
        assertThat(frames[frames.length - 1]).contains("1/2 50% 02:00<02:00 120.00 s/it").doesNotContain("[21/42]");
    }

    @Test
    void plainOutputCountsTenthsInsideAnItem() {
        ProgressBar bar = new ProgressBar(out, false, 80, () -> now);
        bar.onStart("denoising", 1);
        for (int b = 1; b <= 42; b++) {
            now += 1_000_000_000L;
            bar.onSubProgress(b, 42);
        }
        bar.onProgress(1);
        bar.onEnd();
        String[] lines = output().split(System.lineSeparator());
        assertThat(lines).hasSize(10);   // 10%..90% inside the single step, then the end line
        assertThat(lines[0]).isEqualTo("denoising: 0/1 [5/42] 11% 00:05<00:37 42.00 s/it");
        assertThat(lines[9]).isEqualTo("denoising: 1/1 100% 00:42<00:00 42.00 s/it done");
    }

    @Test
    void aTenthReachedByTheLastPartOfAnItemIsPrintedAsTheWholeItem() {
        ProgressBar bar = new ProgressBar(out, false, 80, () -> now);
        bar.onStart("denoising", 10);
        now += 1_000_000_000L;
        bar.onSubProgress(2, 2);
        bar.onProgress(1);
        assertThat(output()).isEqualTo("denoising: 1/10 10% 00:01<00:09 1.00 it/s" + System.lineSeparator());
    }

    @Test
    void anAbandonedTaskEndsWithStoppedNotDone() {
        ProgressBar bar = new ProgressBar(out, false, 80, () -> now);
        bar.onStart("decoding", 4);
        now += 1_000_000_000L;
        bar.onProgress(1);
        bar.onEnd();
        assertThat(output()).endsWith(System.lineSeparator() + "decoding: 1/4 25% 00:01<00:03 1.00 it/s stopped" + System.lineSeparator())
                .doesNotContain("done");
    }

    /** A line printed while the bar is drawn clears the bar, stands on its own line, and the bar is drawn again below it. */
    @Test
    void aLinePrintedDuringATaskIsNeverGluedToTheBar() {
        ProgressBar bar = new ProgressBar(out, true, 60, () -> now);
        bar.onStart("training", 10);
        now += 1_000_000_000L;
        bar.onProgress(5);
        bar.println("checkpoint out/checkpoint-5");
        now += 1_000_000_000L;
        bar.onProgress(10);
        bar.onEnd();
        String[] lines = output().split(System.lineSeparator());
        assertThat(lines).hasSize(2);
        // the bar's characters before the message are overwritten by spaces, then the cursor returns to the line start
        String first = lines[0].substring(lines[0].lastIndexOf('\r') + 1);
        assertThat(first).isEqualTo("checkpoint out/checkpoint-5");
        assertThat(lines[0]).contains("\r" + " ".repeat(60) + "\r");
        assertThat(lines[1]).startsWith("\rtraining [").endsWith("10/10 100% 00:02<00:00 5.00 it/s");
        ProgressBar plain = new ProgressBar(out, false, 60, () -> now);
        bytes.reset();
        plain.onStart("training", 10);
        plain.println("checkpoint x");
        assertThat(output()).isEqualTo("checkpoint x" + System.lineSeparator());
    }

    @Test
    void aTickingBarRedrawsWhileAnItemRuns() throws InterruptedException {
        ProgressBar bar = new ProgressBar(out, true, 60, System::nanoTime);
        bar.tickEvery(20);
        bar.onStart("decoding", 1);
        Thread.sleep(300);
        bar.onEnd();
        assertThat(output().split("\r").length).as("redraws with no progress call").isGreaterThan(3);
    }

    /** A task inside one item (a video's VAE passes inside "encoding videos"): its progress is the item's sub-progress. */
    @Test
    void aTaskInsideAnItemIsThatItemsSubProgress() {
        RecordingListener outer = new RecordingListener(null);
        outer.onStart("encoding videos", 3, ProgressUnit.ITEMS);
        ProgressListener inner = ProgressListener.insideItemOf(outer);
        inner.onStart("encoding", 4, ProgressUnit.ITEMS);
        inner.onSubProgress(5, 10);       // half of the first pass
        inner.onProgress(1);
        inner.onSubProgress(2, 10);       // a fifth into the second
        inner.onEnd();
        assertThat(outer.calls).containsExactly("encoding videos 3", "part 0/4", "part 5/40", "part 1/4", "part 12/40");
    }

    @Test
    void bytesUseBinaryPrefixes() {
        ProgressBar bar = new ProgressBar(out, false, 80, () -> now);
        bar.onStart("model.safetensors", 3L << 30, ProgressUnit.BYTES);
        now = 2_000_000_000L;
        bar.onProgress(3L << 29);
        bar.onEnd();
        assertThat(output()).contains("1.5 GiB/3.0 GiB 50% 00:02<00:02 768.0 MiB/s stopped");   // ended half-way
    }

    @Test
    void cancellationStopsAtTheNextCheck() {
        CancellationToken token = new CancellationToken();
        token.throwIfCancelled();
        token.cancel();
        assertThat(token.isCancelled()).isTrue();
        assertThatThrownBy(token::throwIfCancelled).isInstanceOf(CancellationException.class);
    }

    @Test
    void anInterruptedThreadCountsAsCancelled() {
        CancellationToken token = new CancellationToken();
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(token::throwIfCancelled).hasMessageContaining("interrupted");
        } finally {
            assertThat(Thread.interrupted()).as("flag left set").isTrue();
        }
    }
}
