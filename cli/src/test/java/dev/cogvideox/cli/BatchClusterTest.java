package dev.cogvideox.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code batch} on a Spark standalone cluster started here on loopback ({@link SparkCluster}: a master and two
 * one-core workers in their own JVMs); the driver is this JVM, as {@code ./cogvideox batch --master spark://...} makes
 * it. One line fails and is
 * reported while the others finish; the executor running the slow line is killed mid-line, and Spark runs the line
 * again on an executor that lives, which writes it once.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BatchClusterTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");

    @TempDir
    static Path tmp;

    private static SparkCluster cluster;
    private static String master;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = SparkCluster.shared();
        master = cluster.master;
    }

    @Test
    void runsTheBatchOnTwoWorkersReportsTheFailedLineAndRetriesTheLineOfAKilledExecutor() throws Exception {
        Path prompts = tmp.resolve("prompts.jsonl");
        Files.writeString(prompts, String.join("\n",
                "{\"prompt\": \"one\", \"seed\": 1}",
                "{\"prompt\": \"two\", \"frames\": 10}",
                "{\"prompt\": \"a slow one\", \"steps\": 250, \"output\": \"slow.mp4\"}",
                "{\"prompt\": \"four\", \"seed\": 4}",
                "{\"prompt\": \"five\", \"seed\": 5, \"output\": \"five.gif\"}") + "\n");
        Path out = tmp.resolve("out");
        CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(() -> CliRun.of("batch", "--prompts", prompts.toString(),
                "--output", out.toString(), "--model", MODEL.toString(), "--master", master, "--steps", "2",
                "--conf", "spark.ui.enabled=false", "--conf", "spark.cores.max=2", "--conf", "spark.executor.memory=768m",
                // start when both executors are there (they are JVMs started now), so that both take lines
                "--conf", "spark.scheduler.minRegisteredResourcesRatio=1", "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=120s"));

        // the slow line's executor is killed while it writes (its temporary file names the writing JVM)
        long killed = killWriterOf(out, "slow.mp4", run);
        CliRun r = run.get(240, TimeUnit.SECONDS);

        String context = r.err() + "\nexecutor logs:\n" + cluster.executorLogs();
        assertThat(r.exit()).as(context).isEqualTo(1);
        assertThat(ProcessHandle.of(killed).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        List<JsonNode> manifest = BatchCommandTest.manifest(out);
        assertThat(manifest).as(context).extracting(e -> e.path("status").asText()).containsExactly("done", "failed", "done", "done", "done");
        assertThat(manifest.get(1).path("reason").asText()).startsWith("--frames 10: the 2b model was trained on 8N+1 frames");
        assertThat(manifest).extracting(e -> e.path("executor").asText()).allSatisfy(id -> assertThat(id).matches("\\d+"));
        JsonNode slow = manifest.get(2);
        assertThat(slow.path("attempt").asInt()).as(context).isGreaterThanOrEqualTo(1);
        assertThat(slow.path("settings").path("options").path("--steps").asInt()).isEqualTo(250);
        assertThat(r.err()).contains("done slow.mp4").contains("attempt " + (slow.path("attempt").asInt() + 1));
        for (String file : new String[]{"00001.mp4", "slow.mp4", "00004.mp4", "five.gif"}) {
            assertThat(out.resolve(file)).isNotEmptyFile();
        }
        try (Stream<Path> files = Files.list(out)) {                              // the killed attempt's temporary file is gone
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("00001.mp4", "slow.mp4", "00004.mp4",
                    "five.gif", "manifest.jsonl");
        }
    }

    /** Waits for {@code .NAME.<pid>-....partial} in {@code out}, kills that pid (an executor of our workers) and returns it. */
    private static long killWriterOf(Path out, String name, CompletableFuture<CliRun> run) throws Exception {
        Pattern partial = Pattern.compile("\\." + Pattern.quote(name) + "\\.(\\d+)-.*\\.partial");
        long end = System.nanoTime() + 200_000_000_000L;
        while (System.nanoTime() < end) {
            if (run.isDone()) {
                throw new AssertionError("the batch ended before " + name + " was being written: " + run.get().err());
            }
            if (Files.isDirectory(out)) {
                try (Stream<Path> files = Files.list(out)) {
                    for (Path p : files.toList()) {
                        Matcher m = partial.matcher(p.getFileName().toString());
                        if (m.matches()) {
                            long pid = Long.parseLong(m.group(1));
                            Optional<ProcessHandle> executor = cluster.processes.stream().flatMap(Process::descendants).filter(h -> h.pid() == pid).findFirst();
                            assertThat(executor).as("the writer of " + name + " is an executor of the cluster").isPresent();
                            executor.get().destroyForcibly();                 // SIGKILL: no shutdown hook, no cleanup
                            return pid;
                        }
                    }
                }
            }
            Thread.sleep(25);
        }
        throw new AssertionError(name + " was never being written");
    }
}
