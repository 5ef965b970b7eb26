package dev.cogvideox.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cogvideox.io.AtomicFile;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressBar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The driver and the tasks on Spark in this JVM ({@code local[2]}) with a runner that writes the prompt into the
 * output: what runs, what is refused, what the manifest records, what a rerun skips, and a task Spark retries after
 * it died having written its output.
 */
class BatchJobTest {
    @TempDir
    Path tmp;

    /** Writes the prompt; {"fail": true} throws, {"die": true} dies (an Error Spark retries the task for) once written. */
    static final class WritingRunner implements PromptRunner {
        /** Outputs written, by file, in this JVM (local mode: the executors' too). */
        static final Map<String, Integer> WRITES = new ConcurrentHashMap<>();
        static final Set<String> DIED = ConcurrentHashMap.newKeySet();
        static final CountDownLatch WAITING = new CountDownLatch(1);

        @Override
        public void check(ObjectNode options) {
            if (!options.path("prompt").isTextual()) {
                throw new IllegalArgumentException("give \"prompt\"");
            }
        }

        @Override
        public String run(ObjectNode options, String file, CancellationToken cancel) {
            Path output = Path.of(file);
            if (options.path("wait").asBoolean()) {                  // until the task is killed
                WAITING.countDown();
                while (!cancel.isCancelled()) {
                    LockSupport.parkNanos(10_000_000);
                }
                throw new CancellationException();
            }
            if (options.path("fail").asBoolean()) {
                throw new IllegalStateException("the model cannot do " + options.path("prompt").asText());
            }
            AtomicFile.write(output, tmp -> Files.writeString(tmp, options.path("prompt").asText()));
            WRITES.merge(output.toString(), 1, Integer::sum);
            if (options.path("die").asBoolean() && DIED.add(output.toString())) {
                throw new LinkageError("the executor died after writing " + output.getFileName());
            }
            return "{\"ran\": \"" + options.path("prompt").asText() + "\"}";
        }

        @Override
        public String recorded(String output) {
            return "{\"found\": \"" + Path.of(output).getFileName() + "\"}";
        }

        @Override
        public String reason(Throwable failure) {
            return failure.getMessage();
        }
    }

    private BatchJob.Summary run(Path prompts, Path out, String master, ByteArrayOutputStream console) {
        return run(prompts, out, master, console, new CancellationToken());
    }

    private BatchJob.Summary run(Path prompts, Path out, String master, ByteArrayOutputStream console, CancellationToken cancel) {
        ProgressBar bar = new ProgressBar(new PrintStream(console, true), false, 80, System::nanoTime);
        return BatchJob.run(new BatchJob.Settings(prompts, out, master, Map.of("spark.ui.enabled", "false"), "model-dir", List.of("--steps", "2")),
                new WritingRunner(), bar, cancel);
    }

    @Test
    void failuresAreRecordedWhileTheOtherLinesFinishAndARerunSkipsWhatIsDone() throws IOException {
        Path prompts = tmp.resolve("prompts.jsonl");
        Files.writeString(prompts, String.join("\n",
                "{\"prompt\": \"one\", \"output\": \"one.txt\"}",
                "{\"prompt\": \"two\", \"fail\": true, \"output\": \"two.txt\"}",
                "{\"seed\": 3}",
                "{\"prompt\": \"four\", \"output\": \"one.txt\"}",
                "{\"prompt\": \"five\"",
                "{\"prompt\": \"six\"}") + "\n");
        Path out = tmp.resolve("out");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        BatchJob.Summary first = run(prompts, out, "local[2]", console);

        assertThat(first).isEqualTo(new BatchJob.Summary(2, 4, 0));
        assertThat(Files.readString(out.resolve("one.txt"))).isEqualTo("one");
        assertThat(Files.readString(out.resolve("00006.mp4"))).isEqualTo("six");
        assertThat(out.resolve("two.txt")).doesNotExist();
        List<JsonNode> manifest = manifest(out);
        assertThat(manifest).extracting(e -> e.path("line").asInt()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(manifest).extracting(e -> e.path("status").asText()).containsExactly("done", "failed", "failed", "failed", "failed", "done");
        assertThat(manifest.get(1).path("reason").asText()).isEqualTo("the model cannot do two");
        assertThat(manifest.get(2).path("reason").asText()).isEqualTo("give \"prompt\"");
        assertThat(manifest.get(3).path("reason").asText()).isEqualTo("output one.txt is line 1's too: give each line its own \"output\"");
        assertThat(manifest.get(4).path("reason").asText()).startsWith("not valid JSON");
        assertThat(manifest.get(0).path("settings").path("ran").asText()).isEqualTo("one");
        assertThat(manifest.get(0).path("executor").asText()).isEqualTo("driver");
        assertThat(manifest.get(0).path("options").toString()).isEqualTo("{\"prompt\":\"one\"}");
        assertThat(manifest.get(0).path("defaults").toString()).isEqualTo("[\"--steps\",\"2\"]");
        assertThat(console.toString()).contains("6 lines in ").contains("3 to generate, 0 done earlier (skipped), 3 refused").contains("done one.txt")
                .contains("failed line 2 (two.txt): the model cannot do two").contains("generating");

        // the rerun: the done lines are skipped without starting Spark, the failed ones fail again
        long modified = Files.getLastModifiedTime(out.resolve("one.txt")).toMillis();
        int writes = WritingRunner.WRITES.get(out.resolve("one.txt").toString());
        BatchJob.Summary again = run(prompts, out, "local[2]", new ByteArrayOutputStream());
        assertThat(again).isEqualTo(new BatchJob.Summary(0, 4, 2));
        assertThat(Files.getLastModifiedTime(out.resolve("one.txt")).toMillis()).isEqualTo(modified);
        assertThat(WritingRunner.WRITES.get(out.resolve("one.txt").toString())).isEqualTo(writes);
        assertThat(manifest(out)).hasSize(6);

        // a line whose options changed runs again, and so does one whose file is gone
        Files.writeString(prompts, Files.readString(prompts).replace("\"six\"", "\"six, again\""));
        Files.delete(out.resolve("one.txt"));
        BatchJob.Summary third = run(prompts, out, "local[2]", new ByteArrayOutputStream());
        assertThat(third).isEqualTo(new BatchJob.Summary(2, 4, 0));
        assertThat(Files.readString(out.resolve("00006.mp4"))).isEqualTo("six, again");
        assertThat(manifest(out)).hasSize(6);
    }

    @Test
    void aTaskRetriedAfterItsOutputWasWrittenDoesNotWriteItAgain() throws IOException {
        Path prompts = tmp.resolve("prompts.jsonl");
        Files.writeString(prompts, "{\"prompt\": \"once\", \"die\": true, \"output\": \"once.txt\"}\n{\"prompt\": \"other\"}\n");
        Path out = tmp.resolve("out");
        // local[2,2]: a failed task is tried twice
        BatchJob.Summary s = run(prompts, out, "local[2,2]", new ByteArrayOutputStream());

        assertThat(s).isEqualTo(new BatchJob.Summary(2, 0, 0));
        assertThat(WritingRunner.WRITES.get(out.resolve("once.txt").toString())).isEqualTo(1);
        JsonNode once = manifest(out).getFirst();
        assertThat(once.path("status").asText()).isEqualTo("done");
        assertThat(once.path("attempt").asInt()).isEqualTo(1);
        assertThat(once.path("settings").path("found").asText()).isEqualTo("once.txt");    // read back from the file
        assertThat(Files.readString(out.resolve("once.txt"))).isEqualTo("once");
    }

    @Test
    void cancellingStopsTheRunningLinesAndKeepsTheFinishedOnesInTheManifest() throws Exception {
        Path prompts = tmp.resolve("prompts.jsonl");
        Files.writeString(prompts, "{\"prompt\": \"quick\"}\n{\"prompt\": \"endless\", \"wait\": true}\n");
        Path out = tmp.resolve("out");
        CancellationToken cancel = new CancellationToken();
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        CompletableFuture<BatchJob.Summary> run = CompletableFuture.supplyAsync(() -> run(prompts, out, "local[1]", console, cancel));
        assertThat(WritingRunner.WAITING.await(60, TimeUnit.SECONDS)).as("the endless line started").isTrue();
        cancel.cancel();                                                        // as Ctrl-C does

        assertThatThrownBy(() -> run.get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(CancellationException.class);
        assertThat(console.toString()).contains("cancelled after 1 of 2 lines");
        List<JsonNode> manifest = manifest(out);
        assertThat(manifest).extracting(e -> e.path("output").asText()).containsExactly("00001.mp4");
        assertThat(manifest.getFirst().path("status").asText()).isEqualTo("done");
    }

    private static List<JsonNode> manifest(Path out) throws IOException {
        return Files.readAllLines(out.resolve(Manifest.NAME)).stream().map(l -> {
            try {
                return PromptFile.JSON.readTree(l);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).toList();
    }
}
