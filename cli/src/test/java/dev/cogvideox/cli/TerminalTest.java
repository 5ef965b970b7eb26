package dev.cogvideox.cli;

import dev.cogvideox.io.video.VideoOptions;
import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriter;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line on a terminal: the CLI runs in a child JVM on a pseudo-terminal (util-linux {@code script}), so its
 * progress bars redraw in place; the screen is rebuilt from the bytes (a carriage return goes back to the line start)
 * and checked as a user would read it. Skipped where {@code script} is missing.
 */
class TerminalTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");

    @TempDir
    Path tmp;

    /** The lines a terminal shows for {@code raw}: each {@code \r} returns to column 0 and later text overwrites. */
    static List<String> screen(String raw) {
        List<String> lines = new ArrayList<>();
        for (String line : raw.replace("\r\n", "\n").split("\n", -1)) {
            StringBuilder shown = new StringBuilder();
            for (String part : line.split("\r", -1)) {
                for (int i = 0; i < part.length(); i++) {
                    if (i < shown.length()) {
                        shown.setCharAt(i, part.charAt(i));
                    } else {
                        shown.append(part.charAt(i));
                    }
                }
            }
            lines.add(shown.toString().stripTrailing());
        }
        return lines;
    }

    /** Runs the CLI with {@code args} on a pseudo-terminal and returns everything it showed. */
    private String onTerminal(String... args) throws IOException, InterruptedException {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "util-linux script is not installed");
        StringBuilder cmd = new StringBuilder();
        List<String> all = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        all.addAll(List.of(args));
        for (String a : all) {
            cmd.append('\'').append(a.replace("'", "'\\''")).append("' ");
        }
        Path typescript = tmp.resolve("typescript");
        Process p = new ProcessBuilder("/usr/bin/script", "-qec", cmd.toString(), "/dev/null").directory(tmp.toFile())
                .redirectOutput(typescript.toFile()).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("finished").isTrue();
        String raw = Files.readString(typescript, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(raw).isZero();
        return raw;
    }

    @Test
    void generateRedrawsItsBarsInPlaceAndEndsEachOnItsOwnLine() throws Exception {
        // longer than the fixture's 16 tokens: the truncation warning comes while the prompt's bar is drawn
        String raw = onTerminal("generate", "--model", MODEL.toString(), "--prompt", "a very long prompt about a cat that walks along "
                + "the beach at golden hour with waves and birds", "--steps", "100", "--output",
                tmp.resolve("out.gif").toString());
        List<String> screen = screen(raw);
        // the denoising bar was drawn at its start, at least once on the way and at its end, in place
        assertThat(java.util.Arrays.stream(raw.split("\r")).filter(f -> f.startsWith("denoising [")).map(f -> f.replaceAll(" .*?(\\d+/100).*", "$1"))
                .distinct().count()).as(raw).isGreaterThanOrEqualTo(3);
        assertThat(screen).anySatisfy(l -> assertThat(l).startsWith("denoising [").contains("100/100 100%"));
        assertThat(screen).anySatisfy(l -> assertThat(l).startsWith("decoding [").contains("1/1 100%"));
        assertThat(screen).anySatisfy(l -> assertThat(l).startsWith("wrote 9 frames"));
        assertThat(screen).anySatisfy(l -> assertThat(l).startsWith("WARNING: prompt truncated to max_sequence_length 16 tokens"));
        for (String l : screen) {
            assertThat(l.indexOf('[') < 0 || l.startsWith("encoding prompt [") || l.startsWith("denoising [")
                    || l.startsWith("decoding [") || l.startsWith("settings: ") || l.startsWith("WARNING: ")).as("a line of its own: %s", l).isTrue();
            assertThat(l.indexOf("WARNING") <= 0).as("a warning at the start of its line: %s", l).isTrue();
        }
    }

    @Test
    void trainCheckpointLinesAreNeverGluedToTheBar() throws Exception {
        Path data = tmp.resolve("data");
        Files.createDirectories(data);
        Tensor frames = Tensor.zeros(5, 3, 32, 32);
        for (int i = 0; i < frames.data().length; i++) {
            frames.data()[i] = (i % 32) / 6 == i / (3 * 32 * 32) ? 0.9f : 0.1f;
        }
        try (VideoWriter w = VideoWriters.open(VideoOutput.parse(data.resolve("bar.gif").toString()), VideoOptions.fps(8))) {
            w.write(frames);
            w.finish();
        }
        Files.write(data.resolve("videos.txt"), List.of("bar.gif"));
        Files.write(data.resolve("prompts.txt"), List.of("a bar sweeping right"));
        String raw = onTerminal("train", "--model", MODEL.toString(), "--data", data.toString(), "--output", tmp.resolve("out").toString(),
                "--lora-rank", "4", "--stages", "32x32x5:20", "--checkpoint-every", "5", "--keep-checkpoints", "2");
        List<String> screen = screen(raw);
        for (int step : new int[]{5, 10, 15, 20}) {
            assertThat(screen).as("checkpoint-%d on a line of its own", step).contains("checkpoint " + tmp.resolve("out/checkpoint-" + step));
        }
        assertThat(screen).filteredOn(l -> l.contains("checkpoint")).allSatisfy(l -> assertThat(l).doesNotContain("training ["));
        assertThat(screen).anySatisfy(l -> assertThat(l).startsWith("training [").contains("20/20 100%"));
    }
}
