package dev.cogvideox.distributed;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Parallel generation of one video under {@code mpirun} on one machine ({@link GenerationRank}, one kernel thread per
 * rank) on the tiny models: sequence parallel, and CFG x sequence parallel, give one process's latents bit for bit (a
 * matrix product's rows, a LayerNorm's tokens and an attention head's queries are computed the same whichever other
 * rows, tokens and heads are beside them, and the exchanges only move floats), so the tolerance is zero, well inside
 * the golden pipeline tolerances. A rank that dies or hangs ends the job with a message. Skipped only where
 * {@code mpirun} is missing ({@code .ci/run} installs Open MPI). CFG parallel alone under mpirun: the cli module's
 * {@code ParallelGenerateTest} (against diffusers' reference frames, and byte for byte against one process).
 */
class ParallelGenerationTest {
    private static final Path MODELS = GoldenSuite.defaultFixtureRoot().resolve("models");

    @TempDir
    Path tmp;

    /** 5b (RoPE): each rank half of the 16 + 27 tokens (22 and 21) and one of the 2 heads. */
    @Test
    void sequenceParallelOnTwoRanksEqualsOneProcess() throws Exception {
        assertLikeOneProcess("tiny-cogvideox-5b", "sequence", 2);
    }

    /** 1.5-5b (RoPE, patch_size_t 2) on 2 x 2 ranks: guidance half x token slice. */
    @Test
    void cfgTimesSequenceOnFourRanksEqualsOneProcess() throws Exception {
        assertLikeOneProcess("tiny-cogvideox1.5-5b", "cfg,sequence", 4);
    }

    /**
     * From a prompt, CFG parallel on 2 ranks: rank 0 alone runs the text encoder and hands the embeddings to rank 1,
     * whose model folder has no text encoder or tokenizer at all; the latents are one process's, bit for bit.
     */
    @Test
    void rankZeroAloneEncodesThePromptAndTheLatentsAreOneProcesss() throws Exception {
        Path full = MODELS.resolve("tiny-cogvideox-2b"), withoutText = tmp.resolve("without-text-encoder");
        Files.createDirectories(withoutText);
        for (String part : List.of("model_index.json", "transformer", "vae", "scheduler")) {
            Files.createSymbolicLink(withoutText.resolve(part), full.resolve(part));
        }
        Path out = tmp.resolve("prompt.bin");
        Run mpi = mpirun(2, full + "," + withoutText, "cfg", 3, out, 60, "none", 120, 60, "prompt");
        assertThat(mpi.exit()).as(mpi.log()).isZero();
        float[] one = alone(() -> GenerationRank.denoise(full, 3, true, RunContext.NONE).data());
        assertThat(read(out, one.length)).as("--parallel cfg from a prompt").containsExactly(one);
    }

    /**
     * Rank 1 stops before it loads the model: rank 0, loaded, gives up after the 5 s load timeout with a message of
     * its own (the collective timeout, 600 s, never counts the loading).
     */
    @Test
    void aRankStuckLoadingIsGivenUpAfterTheLoadTimeout() throws Exception {
        Path out = tmp.resolve("latents.bin");
        Run mpi = mpirun(2, MODELS.resolve("tiny-cogvideox-2b").toString(), "cfg", 100, out, 600, "stop-loading", 60, 5, "embeds");
        assertThat(mpi.exit()).as(mpi.log()).isNotZero();
        assertThat(mpi.log()).contains("rank 1: fault 'stop-loading' before loading")
                .contains("rank 0 of 2: waited 5 s for the other ranks to load the model (--load-timeout): a rank is stuck fetching "
                        + "or loading it (a slow or unreachable disk or network) or its machine cannot be reached; ending the job "
                        + "(run the generation again)");
        assertThat(out).doesNotExist();
    }

    /**
     * Rank 1 crashes at step 2: mpirun ends rank 0 (waiting in an exchange), which says why, within seconds; rank 0
     * writes nothing.
     */
    @Test
    void aRankThatDiesEndsTheJobWithAMessage() throws Exception {
        Path out = tmp.resolve("latents.bin");
        Run mpi = mpirun(2, "tiny-cogvideox-5b", "sequence", 100, out, 600, "die", 60);
        assertThat(mpi.exit()).as(mpi.log()).isNotZero();
        assertThat(mpi.log()).contains("rank 1: fault 'die' at step 2")
                .contains("rank 0 of 2: stopping: mpirun is ending the job (another rank failed or exited, see its message; or "
                        + "mpirun was interrupted); run the generation again");
        // far below the 600 s collective timeout given: the job ends because a rank died, not because a wait ran out (10 s was
        // exceeded once at a load average of 10, where tearing down two JVMs alone takes seconds)
        assertThat(secondsSince(Path.of(out + ".step-2"))).as("seconds from the fault to the end of mpirun").isLessThan(30);
        assertThat(out).doesNotExist();
        assertThat(tmp).isDirectoryNotContaining("glob:**.tmp");
    }

    /**
     * Rank 1 stops (alive, never arriving): rank 0 gives up after the 10 s collective timeout, naming the exchange. The
     * model loading no longer counts (the ranks wait for each other after loading, with the load timeout), but on 2
     * cores at a load average of 16 to 25 the exchanges themselves took seconds with both ranks in them: up to 2.6 s in
     * the equality tests' steps, and once more than 5 s in the one MPI_Comm_split, which a 5 s limit took for a hang.
     */
    @Test
    void aRankThatHangsIsGivenUpAfterTheCollectiveTimeout() throws Exception {
        Path out = tmp.resolve("latents.bin");
        Run mpi = mpirun(2, "tiny-cogvideox-2b", "cfg", 100, out, 10, "stop", 60);
        assertThat(mpi.exit()).as(mpi.log()).isNotZero();
        assertThat(mpi.log()).contains("rank 1: fault 'stop' at step 2")
                .contains("rank 0 of 2: waited 10 s in an all-gather (parallel inference) for the other ranks (--collective-timeout): "
                        + "a rank is stuck or its machine cannot be reached; ending the job (run the generation again)");
        assertThat(secondsSince(Path.of(out + ".step-2"))).as("seconds from the fault to the end of mpirun").isLessThan(10 + 10);
        assertThat(out).doesNotExist();
    }

    private void assertLikeOneProcess(String model, String modes, int ranks) throws Exception {
        Path out = tmp.resolve(modes + ".bin");
        Run mpi = mpirun(ranks, model, modes, 4, out, 60, "none", 120);
        assertThat(mpi.exit()).as(mpi.log()).isZero();
        float[] one = alone(() -> GenerationRank.denoise(MODELS.resolve(model), 4, RunContext.NONE).data());
        assertThat(read(out, one.length)).as("%s, --parallel %s on %d ranks", model, modes, ranks).containsExactly(one);
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("rank 0 alone wrote, atomically")
                    .containsExactlyInAnyOrder(out.getFileName().toString(), out.getFileName() + ".step-2");
        }
    }

    /** One process's result, with one kernel thread as each rank has. */
    private static float[] alone(java.util.function.Supplier<float[]> run) {
        int threads = Parallel.threads();
        try {
            Parallel.setThreads(1);
            return run.get();
        } finally {
            Parallel.setThreads(threads);
        }
    }

    private static float[] read(Path file, int n) throws IOException {
        assertThat(Files.size(file)).isEqualTo(4L * n);
        float[] x = new float[n];
        try (InputStream i = Files.newInputStream(file); DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(i))) {
            for (int k = 0; k < n; k++) {
                x[k] = in.readFloat();
            }
        }
        return x;
    }

    private static double secondsSince(Path marker) throws IOException {
        assertThat(marker).exists();
        return (System.currentTimeMillis() - Files.getLastModifiedTime(marker).toMillis()) / 1000.0;
    }

    private record Run(int exit, String log) {
    }

    private Run mpirun(int ranks, String model, String modes, int steps, Path output, int timeoutSeconds, String fault, int limitSeconds)
            throws Exception {
        return mpirun(ranks, MODELS.resolve(model).toString(), modes, steps, output, timeoutSeconds, fault, limitSeconds, 0, "embeds");
    }

    /** {@code models}: {@link GenerationRank}'s; {@code loadTimeoutSeconds} 0 waits for ever; {@code input} embeds or prompt. */
    private Run mpirun(int ranks, String models, String modes, int steps, Path output, int timeoutSeconds, String fault, int limitSeconds,
                       int loadTimeoutSeconds, String input) throws Exception {
        assumeTrue(onPath("mpirun"), "mpirun is not installed (Debian: apt-get install openmpi-bin libopenmpi-dev; .ci/run does it)");
        List<String> cmd = new ArrayList<>(List.of("mpirun", "--allow-run-as-root", "--oversubscribe", "-np", Integer.toString(ranks),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path"), GenerationRank.class.getName(), models, modes,
                Integer.toString(steps), output.toString(), Integer.toString(timeoutSeconds), fault, Integer.toString(loadTimeoutSeconds),
                input));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolveSibling(tmp.getFileName() + ".log").toFile()).start();
        boolean ended = p.waitFor(limitSeconds, TimeUnit.SECONDS);
        if (!ended) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String text = Files.readString(tmp.resolveSibling(tmp.getFileName() + ".log"));
        assertThat(ended).as("mpirun ended within " + limitSeconds + " s:\n" + text).isTrue();
        return new Run(p.exitValue(), text);
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
