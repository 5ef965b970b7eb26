package dev.cogvideox.cli;

import dev.cogvideox.data.FakeChatServer;
import dev.cogvideox.data.SyntheticVideos;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code data prepare} on the two-worker standalone cluster on loopback ({@link SparkCluster}), the driver in this JVM:
 * the executors decode, filter and caption (asking the stand-in server here), the driver writes the manifest and the
 * dataset; a bad input fails alone, and so does a clip the caption server does not answer for in time.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DataClusterTest {
    @TempDir
    Path tmp;

    @Test
    void preparesOnTwoWorkers() throws Exception {
        SparkCluster cluster = SparkCluster.shared();
        Path in = tmp.resolve("in"), out = tmp.resolve("out");
        SyntheticVideos.write(in.resolve("a-fast.mp4"), SyntheticVideos.pan(SyntheticVideos.YELLOW, 0.4, 1.5, 1));
        SyntheticVideos.write(in.resolve("b-static.mp4"), SyntheticVideos.still(SyntheticVideos.RED, 1.5, 2));
        SyntheticVideos.write(in.resolve("c-slow.mp4"), SyntheticVideos.pan(SyntheticVideos.MAGENTA, 0.05, 1.5, 3));
        Files.write(in.resolve("d-empty.mp4"), new byte[0]);
        // the server does not answer in time for the slow clip's frames (magenta)
        try (FakeChatServer server = new FakeChatServer().mode("magenta", FakeChatServer.Mode.TIMEOUT).timeoutMillis(4000)) {
            CliRun r = CliRun.of("data", "prepare", "--input", in.toString(), "--output", out.toString(), "--master", cluster.master,
                    "--vlm", server.url(), "--caption-frames", "2", "--timeout", "1", "--retries", "1",
                    "--conf", "spark.ui.enabled=false", "--conf", "spark.cores.max=2",
                    "--conf", "spark.executor.memory=768m", "--conf", "spark.scheduler.minRegisteredResourcesRatio=1",
                    "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=120s");
            String context = r.err() + "\nexecutor logs:\n" + cluster.executorLogs();
            assertThat(r.exit()).as(context).isEqualTo(1);
            assertThat(r.out()).as(context).contains("4 inputs (1 unreadable): 1 clips kept, 1 rejected, 1 failed");
            assertThat(r.err()).contains("b-static.mp4: [clip 0 rejected static] (executor ").contains("d-empty.mp4: failed: video ");
            assertThat(r.err().lines().filter(l -> l.matches(".*\\.mp4: .* \\(executor \\d+\\)"))).as("run by the cluster's executors").hasSize(4);
            assertThat(server.count("yellow", "summary")).isEqualTo(1);
            assertThat(server.count("magenta", "short")).isEqualTo(2);                       // tried twice, then given up
            assertThat(r.err()).contains("c-slow.mp4: [clip 0 failed: caption: " + server.url()
                    + "/chat/completions (model default): no answer within 1.0 s (tried 2 times)]");
        }
        List<String> lines = Files.readAllLines(out.resolve("clips.jsonl"));
        assertThat(lines).singleElement().satisfies(l -> assertThat(l).contains("\"video\":\"clips/a-fast-").contains("A yellow rippled texture"));
        try (var clips = Files.list(out.resolve("clips"))) {
            assertThat(clips.map(p -> p.getFileName().toString())).singleElement().satisfies(f -> assertThat(f).startsWith("a-fast-"));
        }
        assertThat(out.resolve("manifest.parquet")).isDirectory();
    }
}
