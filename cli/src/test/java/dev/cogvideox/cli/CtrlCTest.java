package dev.cogvideox.cli;

import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Ctrl-C (SIGINT) on the command line as a user presses it: sent to a child JVM running the CLI. */
@EnabledOnOs({OS.LINUX, OS.MAC})
class CtrlCTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");

    @TempDir
    Path tmp;

    @Test
    void ctrlCDuringGenerateExitsWithin2SecondsWith130AndNoOutputFile() throws Exception {
        Path video = tmp.resolve("out.mp4");
        try (ChildCli cli = ChildCli.start(tmp, Main.class.getName(), "generate", "--model", MODEL.toString(), "--prompt", "a cat",
                "--steps", "1000", "--output", video.toString())) {
            assertThat(cli.awaitErr("denoising", 60)).as(cli.err()).isTrue();
            cli.interrupt();
            long start = System.nanoTime();
            Integer exit = cli.exitWithin(2);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertThat(exit).as("exit code within 2 s (took %.2f s); stderr:%n%s", seconds, cli.err()).isEqualTo(130);
            assertThat(cli.err()).contains("cancelled: no output written").doesNotContain("Exception");
            assertThat(cli.out()).doesNotContain("wrote");
        }
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString())).as("no video, no partial file").containsOnly("child.out", "child.err");
        }
    }

    @Test
    void aSecondCtrlCEndsAJobThatDoesNotStopAtOnce() throws Exception {
        try (ChildCli cli = ChildCli.start(tmp, CancellableProbe.class.getName())) {
            assertThat(cli.awaitErr("ready", 30)).as(cli.err()).isTrue();
            cli.interrupt();
            assertThat(cli.awaitErr("Ctrl-C again", 2)).as(cli.err()).isTrue();
            assertThat(cli.exitWithin(0.5)).as("the first Ctrl-C only asks the job to stop").isNull();
            cli.interrupt();
            assertThat(cli.exitWithin(1)).as(cli.err()).isEqualTo(130);
        }
    }
}
