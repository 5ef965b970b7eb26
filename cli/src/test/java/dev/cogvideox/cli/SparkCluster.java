package dev.cogvideox.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on loopback, as on real machines: a master and two workers (one core, 1 GiB each) in their
 * own JVMs, whose executors are JVMs the workers start. The workers find Spark and the application's classes on this
 * test JVM's class path (SPARK_DIST_CLASSPATH, as a Spark built without Hadoop finds Hadoop). One cluster serves every
 * test class of this JVM that asks ({@link #shared()}); it stops when the JVM does.
 */
final class SparkCluster {
    private static SparkCluster shared;

    final Path dir;
    final String master;
    final List<Process> processes = new ArrayList<>();

    private SparkCluster(Path dir, String master) {
        this.dir = dir;
        this.master = master;
    }

    static synchronized SparkCluster shared() throws Exception {
        if (shared == null) {
            shared = start(Files.createTempDirectory("spark-cluster"));
            SparkCluster c = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(c::stop));
        }
        return shared;
    }

    private static SparkCluster start(Path dir) throws Exception {
        Path sparkHome = dir.resolve("spark-home");
        Files.createDirectories(sparkHome.resolve("jars"));                 // a distribution's jars folder; ours is the class path
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        SparkCluster c = new SparkCluster(dir, "spark://127.0.0.1:" + port);
        c.processes.add(c.daemon(sparkHome, "master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                String.valueOf(port), "--webui-port", "0"));
        c.awaitListening(port, 120);
        for (int i = 1; i <= 2; i++) {
            c.processes.add(c.daemon(sparkHome, "worker" + i, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--port", "0",
                    "--webui-port", "0", "--cores", "1", "--memory", "1g", "--work-dir", dir.resolve("work" + i).toString(), c.master));
        }
        return c;
    }

    /** A Spark daemon in its own JVM, with this JVM's flags (Spark's --add-opens among them) and class path. */
    private Process daemon(Path sparkHome, String name, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("--enable-native-access") || a.startsWith("--sun-misc") || a.startsWith("-Dio.netty")) {
                cmd.add(a);
            }
        }
        cmd.addAll(List.of("-Xmx256m", "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", sparkHome.toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_DIST_CLASSPATH", System.getProperty("java.class.path"));
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        return pb.start();
    }

    private void awaitListening(int port, int seconds) throws InterruptedException {
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

    /** The last lines of every executor's stderr, for a failure's message. */
    String executorLogs() {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().equals("stderr")).toList()) {
                List<String> lines = Files.readAllLines(p);
                sb.append(p).append(":\n").append(String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()))).append('\n');
            }
        } catch (IOException e) {
            sb.append(e);
        }
        return sb.toString();
    }

    String log(String name) {
        try {
            return Files.readString(dir.resolve(name + ".log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private void stop() {
        for (Process p : processes.reversed()) {
            p.descendants().forEach(ProcessHandle::destroy);                   // the executors, if a driver left any
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary folder
        }
    }
}
