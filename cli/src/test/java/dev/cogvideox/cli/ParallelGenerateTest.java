package dev.cogvideox.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code mpirun -np 2 cogvideox generate --parallel ...} on the fixtures' end-to-end cases: the frames rank 0 writes
 * match diffusers' reference video within the case's tolerance (one 8-bit level, as one process's do), and nothing
 * else is written. Skipped only where {@code mpirun} is missing ({@code .ci/run} installs Open MPI).
 */
class ParallelGenerateTest {
    private static final Path FIXTURES = GoldenSuite.defaultFixtureRoot();

    @TempDir
    Path tmp;

    /** 2b, guidance 6: the unconditional pass on rank 0, the conditional on rank 1. */
    @Test
    void cfgParallelReproducesTheReference() throws Exception {
        assertReproduces("pipeline_e2e_t2v_2b_prompt", "cfg");
    }

    /** 5b (RoPE, dynamic CFG): each rank half of the tokens and one of the 2 heads. */
    @Test
    void sequenceParallelReproducesTheReference() throws Exception {
        assertReproduces("pipeline_e2e_t2v_5b_prompt", "sequence");
    }

    /**
     * A tiled decode split over the 2 ranks (9 tiles of 32x32 pixels, overlap 1/4: rank 0 decodes 5, rank 1 4, rank 0
     * blends): the same PNG files, byte for byte, as one process's tiled decode.
     */
    @Test
    void aTiledDecodeSplitOverRanksWritesOneProcessFrames() throws Exception {
        String name = "pipeline_e2e_t2v_2b_prompt";
        Path frames = tmp.resolve("frames");
        List<String> tiling = List.of("--vae-tile", "32x32", "--vae-tile-overlap", "0.25");
        List<String> extra = new ArrayList<>(List.of("--parallel", "cfg", "--output", frames + "/"));
        extra.addAll(tiling);
        mpirun(2, name, extra, 0);
        Path alone = tmp.resolve("one/frames");
        List<String> args = new ArrayList<>(arguments(name));
        args.addAll(tiling);
        args.addAll(List.of("--output", alone + "/"));
        CliRun one = CliRun.of(args.toArray(String[]::new));
        assertThat(one.exit()).as(one.err()).isZero();
        List<Path> want;
        try (Stream<Path> s = Files.list(alone)) {
            want = s.sorted().toList();
        }
        assertThat(want).hasSize(9);
        for (Path png : want) {
            assertThat(Files.readAllBytes(frames.resolve(png.getFileName()))).as(png.getFileName().toString()).isEqualTo(Files.readAllBytes(png));
        }
    }

    /** Two ranks and nothing to split them: refused (each would write the same file), nothing written. */
    @Test
    void twoRanksWithoutParallelAreRefused() throws Exception {
        Path frames = tmp.resolve("frames");
        String log = mpirun(2, "pipeline_e2e_t2v_2b_prompt", List.of("--output", frames + "/"), 1);
        assertThat(log).contains("mpirun started 2 ranks, but nothing splits the generation over them: give --parallel cfg (2 ranks), "
                + "sequence or cfg,sequence");
        assertThat(frames).doesNotExist();
    }

    private void assertReproduces(String name, String parallel) throws Exception {
        Path frames = tmp.resolve("frames");
        mpirun(2, name, List.of("--parallel", parallel, "--output", frames + "/"), 0);
        GenerateCommandTest.assertPngFramesMatch(frames, name);
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).as("rank 0 alone wrote").containsExactlyInAnyOrder("frames", "mpirun.log");
        }
        try (Stream<Path> s = Files.list(frames)) {
            assertThat(s.filter(p -> !p.getFileName().toString().endsWith(".png"))).as("no temporary file left").isEmpty();
        }
    }

    /** Runs generate with the case's arguments and {@code extra} under mpirun; its output, after checking the exit code. */
    private String mpirun(int ranks, String name, List<String> extra, int exit) throws Exception {
        assumeTrue(onPath("mpirun"), "mpirun is not installed (Debian: apt-get install openmpi-bin libopenmpi-dev; .ci/run does it)");
        List<String> cmd = new ArrayList<>(List.of("mpirun", "--allow-run-as-root", "--oversubscribe", "-np", Integer.toString(ranks),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "--threads", "1"));
        cmd.addAll(arguments(name));
        cmd.addAll(extra);
        Path log = tmp.resolve("mpirun.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean ended = p.waitFor(120, TimeUnit.SECONDS);
        if (!ended) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String text = Files.readString(log);
        assertThat(ended).as("mpirun ended within 120 s:\n" + text).isTrue();
        assertThat(exit == 0 ? p.exitValue() == 0 : p.exitValue() != 0).as("exit %d:\n%s", p.exitValue(), text).isTrue();
        return text;
    }

    /** generate with the case's model, prompt, settings and recorded draws. */
    private static List<String> arguments(String name) throws IOException {
        JsonNode golden = new ObjectMapper().readTree(FIXTURES.resolve("golden/" + name + ".json").toFile());
        JsonNode a = golden.path("arguments");
        return List.of("generate", "--model", FIXTURES.resolve(golden.path("model_dir").asText()).toString(),
                "--prompt", a.path("prompt").asText(), "--frames", a.path("num_frames").asText(),
                "--height", a.path("height").asText(), "--width", a.path("width").asText(),
                "--steps", a.path("num_inference_steps").asText(), "--guidance", a.path("guidance_scale").asText(),
                a.path("use_dynamic_cfg").asBoolean(false) ? "--dynamic-cfg" : "--no-dynamic-cfg",
                "--noise", FIXTURES.resolve("golden/" + name + ".safetensors").toString());
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
