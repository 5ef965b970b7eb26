package dev.cogvideox.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code batch} on a Spark standalone cluster started here on loopback, as on real machines: a master and two
 * workers (one core each) in their own JVMs, whose executors are JVMs the workers start; the driver is this JVM, as
 * {@code ./cogvideox batch --master spark://...} makes it. The workers find Spark and the application's classes on
 * this test's class path (SPARK_DIST_CLASSPATH, as a Spark built without Hadoop finds Hadoop). One line fails and is
 * reported while the others finish; the executor running the slow line is killed mid-line, and Spark runs the line
 * again on an executor that lives, which writes it once.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BatchClusterTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");

    @TempDir
    static Path tmp;

    private static final List<Process> cluster = new ArrayList<>();
    private static String master;


    @BeforeAll
    static void startCluster() throws Exception {
        Path sparkHome = tmp.resolve("spark-home");
        Files.createDirectories(sparkHome.resolve("jars"));                 // a distribution's jars folder; ours is the class path
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        master = "spark://127.0.0.1:" + port;

        cluster.add(start(sparkHome, "master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                String.valueOf(port), "--webui-port", "0"));
        awaitListening(port, 120);
        for (int i = 1; i <= 2; i++) {
            cluster.add(start(sparkHome, "worker" + i, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--port", "0",
                    "--webui-port", "0", "--cores", "1", "--memory", "1g", "--work-dir", tmp.resolve("work" + i).toString(), master));
        }
    }

    @AfterAll
    static void stopCluster() throws InterruptedException {
        for (Process p : cluster.reversed()) {
            p.descendants().forEach(ProcessHandle::destroy);                   // the executors, if the driver left any
            p.destroy();
        }
        for (Process p : cluster) {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
    }

    /** A Spark daemon in its own JVM, with this JVM's flags (Spark's --add-opens among them) and class path. */
    private static Process start(Path sparkHome, String name, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("--enable-native-access") || a.startsWith("--sun-misc") || a.startsWith("-Dio.netty")) {
                cmd.add(a);
            }
        }
        cmd.addAll(List.of("-Xmx256m", "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve(name + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", sparkHome.toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_DIST_CLASSPATH", System.getProperty("java.class.path"));
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        return pb.start();
    }

    private static void awaitListening(int port, int seconds) throws InterruptedException {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("the Spark master did not listen on " + port + " within " + seconds + " s: " + log("master"));
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

        String context = r.err() + "\nexecutor logs:\n" + executorLogs();
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
                            Optional<ProcessHandle> executor = cluster.stream().flatMap(Process::descendants).filter(h -> h.pid() == pid).findFirst();
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

    private static String executorLogs() {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.walk(tmp)) {
            for (Path p : files.filter(f -> f.getFileName().toString().equals("stderr")).toList()) {
                List<String> lines = Files.readAllLines(p);
                sb.append(p).append(":\n").append(String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()))).append('\n');
            }
        } catch (IOException e) {
            sb.append(e);
        }
        return sb.toString();
    }

    private static String log(String name) {
        try {
            return Files.readString(tmp.resolve(name + ".log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
