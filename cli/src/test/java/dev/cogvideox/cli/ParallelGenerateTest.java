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
 * else is written; rank 0 alone prints the settings and the memory plan, checks the output and runs the text encoder.
 * Skipped only where {@code mpirun} is missing ({@code .ci/run} installs Open MPI).
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

    /**
     * Two ranks and nothing to split them: refused (each would write the same file) by rank 0 alone, the other rank
     * silent; nothing written.
     */
    @Test
    void twoRanksWithoutParallelAreRefused() throws Exception {
        Path frames = tmp.resolve("frames");
        String log = mpirun(2, "pipeline_e2e_t2v_2b_prompt", List.of("--output", frames + "/"), 1);
        assertThat(log).containsOnlyOnce("rank 0 of 2: error: mpirun started 2 ranks, but nothing splits the generation over them: "
                + "give --parallel cfg (2 ranks), sequence or cfg,sequence").doesNotContain("rank 1 of 2");
        assertThat(frames).doesNotExist();
    }

    /**
     * An output rank 0 cannot write (its folder is a file): rank 0 says so before any rank loads a model, and the other
     * rank stops without a word.
     */
    @Test
    void anUnwritableOutputIsRank0sErrorAlone() throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "");
        String log = mpirun(2, "pipeline_e2e_t2v_2b_prompt", List.of("--parallel", "cfg", "--output", file.resolve("frames") + "/"), 1);
        assertThat(log).containsOnlyOnce("rank 0 of 2: error: video output " + file.resolve("frames") + ": " + file + " is not a folder")
                .doesNotContain("rank 1 of 2").doesNotContain("settings:").doesNotContain("memory plan");
    }

    /**
     * A rank's own failure (rank 1's model folder lacks the transformer): it names itself on one line, and the job
     * ends with rank 0 saying why it stops.
     */
    @Test
    void aFailingRankNamesItself() throws Exception {
        String name = "pipeline_e2e_t2v_2b_prompt";
        Path full = FIXTURES.resolve(golden(name).path("model_dir").asText()), broken = tmp.resolve("no-transformer");
        Files.createDirectories(broken);
        for (String part : List.of("model_index.json", "vae", "scheduler")) {
            Files.createSymbolicLink(broken.resolve(part), full.resolve(part));
        }
        List<String> rank0 = new ArrayList<>(arguments(name)), rank1 = new ArrayList<>(arguments(name));
        rank1.set(rank1.indexOf("--model") + 1, broken.toString());
        for (List<String> args : List.of(rank0, rank1)) {
            args.addAll(List.of("--parallel", "cfg", "--output", tmp.resolve("frames") + "/"));
        }
        String log = mpirun(List.of(rank0, rank1), 1);
        assertThat(log).containsOnlyOnce("rank 1 of 2: error: " + broken + ": the model has no transformer/ component")
                .contains("rank 0 of 2: stopping: mpirun is ending the job (another rank failed or exited, see its message");
        assertThat(tmp.resolve("frames")).doesNotExist();
    }

    /**
     * Rank 1 is given an output folder it could not write and a model folder without a text encoder or tokenizer (a
     * cluster's other machine): it needs neither, as rank 0 alone writes and encodes the prompt; the video is the
     * reference's, and rank 0 alone printed the settings and the memory plan.
     */
    @Test
    void theOtherRanksNeedNeitherTheOutputFolderNorTheTextEncoder() throws Exception {
        String name = "pipeline_e2e_t2v_2b_prompt";
        Path full = FIXTURES.resolve(golden(name).path("model_dir").asText()), withoutText = tmp.resolve("without-text-encoder");
        Files.createDirectories(withoutText);
        for (String part : List.of("model_index.json", "transformer", "vae", "scheduler")) {
            Files.createSymbolicLink(withoutText.resolve(part), full.resolve(part));
        }
        Path frames = tmp.resolve("frames"), file = Files.writeString(tmp.resolve("a-file"), "");
        List<String> rank0 = new ArrayList<>(arguments(name)), rank1 = new ArrayList<>(arguments(name));
        rank0.addAll(List.of("--parallel", "cfg", "--output", frames + "/"));
        rank1.set(rank1.indexOf("--model") + 1, withoutText.toString());
        rank1.addAll(List.of("--parallel", "cfg", "--output", file.resolve("frames") + "/"));
        String log = mpirun(List.of(rank0, rank1), 0);
        GenerateCommandTest.assertPngFramesMatch(frames, name);
        assertThat(log).containsOnlyOnce("settings: ").containsOnlyOnce("memory plan").doesNotContain("error");
    }

    private void assertReproduces(String name, String parallel) throws Exception {
        Path frames = tmp.resolve("frames");
        String log = mpirun(2, name, List.of("--parallel", parallel, "--output", frames + "/"), 0);
        GenerateCommandTest.assertPngFramesMatch(frames, name);
        assertThat(log).as("rank 0 alone speaks").containsOnlyOnce("settings: ").containsOnlyOnce("memory plan");
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).as("rank 0 alone wrote").containsExactlyInAnyOrder("frames", "mpirun.log");
        }
        try (Stream<Path> s = Files.list(frames)) {
            assertThat(s.filter(p -> !p.getFileName().toString().endsWith(".png"))).as("no temporary file left").isEmpty();
        }
    }

    /** Runs generate with the case's arguments and {@code extra} under mpirun; its output, after checking the exit code. */
    private String mpirun(int ranks, String name, List<String> extra, int exit) throws Exception {
        List<String> args = new ArrayList<>(arguments(name));
        args.addAll(extra);
        return mpirun(java.util.Collections.nCopies(ranks, args), exit);
    }

    /** Runs each rank's command line under one mpirun (rank r the r-th); its output, after checking the exit code. */
    private String mpirun(List<List<String>> perRank, int exit) throws Exception {
        assumeTrue(onPath("mpirun"), "mpirun is not installed (Debian: apt-get install openmpi-bin libopenmpi-dev; .ci/run does it)");
        List<String> cmd = new ArrayList<>(List.of("mpirun", "--allow-run-as-root", "--oversubscribe"));
        for (List<String> args : perRank) {
            if (cmd.size() > 3) {
                cmd.add(":");                                   // the next rank's program (Open MPI's MPMD form)
            }
            cmd.addAll(List.of("-np", "1", Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules",
                    "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-XX:+UseSerialGC", "-cp",
                    System.getProperty("java.class.path"), Main.class.getName(), "--threads", "1"));
            cmd.addAll(args);
        }
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

    private static JsonNode golden(String name) throws IOException {
        return new ObjectMapper().readTree(FIXTURES.resolve("golden/" + name + ".json").toFile());
    }

    /** generate with the case's model, prompt, settings and recorded draws. */
    private static List<String> arguments(String name) throws IOException {
        JsonNode golden = golden(name);
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
