package dev.cogvideox.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A command run in a child JVM on this test's class path, as a user runs it: its output goes to files, so a test can
 * wait for a line, send it a signal and read what it printed.
 */
final class ChildCli implements AutoCloseable {
    private final Process process;
    private final Path err;
    private final Path out;

    private ChildCli(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /** Starts {@code mainClass args} in a fresh JVM with the CLI's flags; output files in {@code dir}. */
    static ChildCli start(Path dir, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        Path out = dir.resolve("child.out"), err = dir.resolve("child.err");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        return new ChildCli(p, out, err);
    }

    /** Waits (up to {@code seconds}) until the child's stderr contains {@code text}; false if it exited or timed out first. */
    boolean awaitErr(String text, double seconds) throws InterruptedException {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            if (err().contains(text)) {
                return true;
            }
            if (!process.isAlive()) {
                return err().contains(text);
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** Sends SIGINT, as Ctrl-C in a terminal does. */
    void interrupt() throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -INT " + process.pid() + " failed");
        }
    }

    /** The exit code if the child ends within {@code seconds}, else null. */
    Integer exitWithin(double seconds) throws InterruptedException {
        return process.waitFor((long) (seconds * 1000), TimeUnit.MILLISECONDS) ? process.exitValue() : null;
    }

    String err() {
        return read(err);
    }

    String out() {
        return read(out);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
