package dev.cogvideox.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service in a child JVM killed with {@code kill -9} while one job runs and others wait, then started again
 * on the same data folder: every job is still there, the interrupted one runs again (and, killed a second time,
 * is marked interrupted with the reason), and the queued ones finish.
 */
class RestartTest {
    @TempDir
    Path data;

    /** A running service process and a client for it. */
    record Child(Process process, TestService client) {
        void kill9() throws InterruptedException {
            process.destroyForcibly();                  // SIGKILL: no shutdown hook runs
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    Child start() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), ServeMain.class.getName(),
                "--port", "0", "--data", data.toString(), "--model", TestService.fixtureModel(ApiTest.T2V).toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> url = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line; (line = out.readLine()) != null; ) {
                    if (line.startsWith("listening on ")) {
                        Thread.ofVirtual().start(() -> out.lines().forEach(l -> { }));   // keep the pipe drained
                        return line.substring("listening on ".length()).split(" ")[0];
                    }
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        });
        String u = url.get(60, TimeUnit.SECONDS);
        assertThat(u).as("the child printed where it listens").isNotNull();
        int port = Integer.parseInt(u.replaceAll(".*:(\\d+)/$", "$1"));
        return new Child(p, new TestService(null, null, "http://127.0.0.1:" + port));
    }

    @Test
    void killedTwiceWhileAJobRunsNothingIsLost() throws Exception {
        Child a = start();
        String longJob = ApiTest.submitTo(a.client(), "{\"prompt\":\"the long one\"," + ApiTest.LONG + "}");
        List<String> queued = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            queued.add(ApiTest.submitTo(a.client(), "{\"prompt\":\"queued " + i + "\",\"steps\":3,\"seed\":" + i + "}"));
        }
        a.client().await(longJob, j -> j.path("progress").path("step").asInt() > 0, Duration.ofSeconds(60));
        a.kill9();

        // first restart: the interrupted job runs again, the others wait behind it
        Child b = start();
        JsonNode again = b.client().await(longJob, j -> j.path("state").asText().equals("running"), Duration.ofSeconds(30));
        assertThat(again.path("attempts").asInt()).isEqualTo(2);
        assertThat(again.path("note").asText()).contains("the service stopped while this job ran");
        for (String id : queued) {
            assertThat(b.client().get("/api/jobs/" + id).json().path("state").asText()).isEqualTo("queued");
        }
        b.client().await(longJob, j -> j.path("progress").path("step").asInt() > 0, Duration.ofSeconds(60));
        b.kill9();

        // second restart: interrupted twice, it is marked so with the reason; the queued jobs run and finish
        Child c = start();
        try {
            JsonNode interrupted = c.client().get("/api/jobs/" + longJob).json();
            assertThat(interrupted.path("state").asText()).isEqualTo("interrupted");
            assertThat(interrupted.path("error").asText()).contains("the service stopped while this job ran, twice");
            for (String id : queued) {
                JsonNode j = c.client().await(id, TestService::finished, Duration.ofSeconds(60));
                assertThat(j.path("state").asText()).as(j.toString()).isEqualTo("succeeded");
                assertThat(c.client().get("/api/jobs/" + id + "/video.mp4").status()).isEqualTo(200);
            }
            assertThat(c.client().get("/api/jobs").json().findValuesAsText("id")).containsExactly(
                    longJob, queued.get(0), queued.get(1), queued.get(2));
        } finally {
            c.process().destroy();                       // SIGTERM: the shutdown hook closes the service
            c.process().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
