package dev.cogvideox.train.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.distributed.Communicator;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Data-parallel training under {@code mpirun -np 2} on one machine ({@link TrainingRank}, one kernel thread per rank)
 * on the 2b fixture: the same weights as one process taking the same global batch, each rank's timesteps from its
 * own half of the schedule, and a rank that dies or hangs ending the job with a message. Skipped only where
 * {@code mpirun} is missing ({@code .ci/run} installs Open MPI).
 */
class DataParallelTrainingTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");
    private static final String STAGES = "32x32x5:4";
    /**
     * Frame Pack budget: a clip here is 16 text + 8 video tokens, the still 16 + 4, so a pack holds two clips, or
     * three with the still, and the ranks' shares of a step differ (the all-reduce weights them by their clips).
     */
    private static final int BATCH_TOKENS = 70;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;
    @TempDir
    Path tmp;
    private static Path data;

    @BeforeAll
    static void dataset() throws IOException {
        data = SyntheticVideos.write(shared.resolve("data"), 5, 5, 32);
    }

    /**
     * 4 steps of a rank-4 LoRA with 2 ranks against one process with {@code packsPerStep 2}: the same clips and draws,
     * so the weights differ only by the order of float additions (the gradient all-reduce sums the ranks' weighted
     * gradients where one process sums over all clips on one tape): within 1e-6 of the largest weight (float32
     * rounding, a few units of 6e-8 relative), where one step moves a weight by up to lr = 1e-3. The loss log
     * (written by rank 0 alone) has the same timesteps and clip counts, and losses equal to 1e-5 relative.
     */
    @Test
    void twoRanksTrainWhatOneProcessTrainsOnTheSameGlobalBatch() throws Exception {
        Path mpi = twoRankRun();
        TrainingRun.run(TrainingRank.options(MODEL, data, tmp.resolve("one"), shared.resolve("cache"), STAGES, BATCH_TOKENS, null),
                new TrainingRun.DataParallel(Communicator.single(), 2), ProgressListener.NONE, new CancellationToken(), m -> { });

        List<JsonNode> two = lines(mpi.resolve("loss.jsonl")), one = lines(tmp.resolve("one/loss.jsonl"));
        assertThat(two).hasSize(4);
        for (int i = 0; i < 4; i++) {
            assertThat(two.get(i).get("timesteps")).isEqualTo(one.get(i).get("timesteps"));
            assertThat(two.get(i).get("clips")).isEqualTo(one.get(i).get("clips"));
            assertThat(two.get(i).get("loss").asDouble()).isCloseTo(one.get(i).get("loss").asDouble(), within(1e-5 * one.get(i).get("loss").asDouble()));
        }
        double[] diff = maxDiff(mpi.resolve("pytorch_lora_weights.safetensors"), tmp.resolve("one/pytorch_lora_weights.safetensors"));
        assertThat(diff[0]).as("max |2 ranks - 1 process| of max |weight| %s", diff[1]).isLessThanOrEqualTo(1e-6 * diff[1]);
    }

    /**
     * Explicit Uniform Sampling over the ranks, in the 2-rank run's loss log: with 4 intervals of [0, 1000) rank 0
     * (pack 0) owns intervals 0-1 and draws every timestep from [0, 500), rank 1 from [500, 1000); within a rank the
     * draws cycle through its intervals, so each step of a rank with two or more clips hits both of its quarters.
     */
    @Test
    void eachRankDrawsItsTimestepsFromItsOwnHalfOfTheSchedule() throws Exception {
        for (JsonNode step : lines(twoRankRun().resolve("loss.jsonl"))) {
            JsonNode packs = step.get("timesteps");
            assertThat(packs).hasSize(2);
            for (int rank = 0; rank < 2; rank++) {
                List<Long> t = new ArrayList<>();
                packs.get(rank).forEach(v -> t.add(v.asLong()));
                assertThat(t).as("rank %d at %s", rank, step).isNotEmpty().allMatch(v -> v >= 0 && v < 1000);
                int lo = rank * 500;
                assertThat(t).as("rank %d at %s", rank, step).allMatch(v -> v >= lo && v < lo + 500);
                if (t.size() >= 2) {
                    assertThat(t).as("both quarters of rank %d at %s", rank, step).anyMatch(v -> v < lo + 250).anyMatch(v -> v >= lo + 250);
                }
            }
        }
    }

    /**
     * Rank 1 crashes at step 2 (exits without MPI_Finalize): mpirun ends rank 0, which says why, within seconds
     * (Open MPI sends SIGTERM about 1 s after the death); nothing past step 2 is written.
     */
    @Test
    void aRankThatDiesEndsTheJobWithAMessage() throws Exception {
        Run mpi = mpirun(tmp.resolve("mpi"), "32x32x5:400", 600, "die", 60);
        assertThat(mpi.exit()).as(mpi.log()).isNotZero();
        assertThat(mpi.log()).contains("rank 1: fault 'die' at step 2")
                .contains("rank 0 of 2: stopping: mpirun is ending the job (another rank failed or exited");
        assertThat(endedAfterFault(tmp.resolve("mpi"))).as("seconds from the fault to the end of mpirun").isLessThan(10);
        assertThat(tmp.resolve("mpi/pytorch_lora_weights.safetensors")).doesNotExist();
    }

    /**
     * Rank 1 stops (SIGSTOP: alive, never arriving): rank 0's watchdog gives up after the 3 s collective timeout,
     * names the wait, and its exit ends the job.
     */
    @Test
    void aRankThatHangsIsGivenUpAfterTheCollectiveTimeout() throws Exception {
        // 15 s: long enough that a rank slowed by a loaded machine (JIT, loading) before the fault is not taken for stuck
        Run mpi = mpirun(tmp.resolve("mpi"), "32x32x5:400", 15, "stop", 90);
        assertThat(mpi.exit()).as(mpi.log()).isNotZero();
        assertThat(mpi.log()).contains("rank 1: fault 'stop' at step 2")
                .containsPattern("rank 0 of 2: waited 15 s in .* for the other ranks \\(--collective-timeout\\): a rank is stuck");
        assertThat(endedAfterFault(tmp.resolve("mpi"))).as("seconds from the fault to the end of mpirun").isLessThan(15 + 10);
    }

    /**
     * A single process resumes a 2-pack checkpoint as the 2-rank job would (the packs per step come from the
     * checkpoint); asking for another number of packs is refused by name.
     */
    @Test
    void aCheckpointOfTwoPacksPerStepResumesAtAnyWorldSizeDividingIt() {
        Path cache = shared.resolve("cache"), out = tmp.resolve("one");
        TrainingRun.run(TrainingRank.options(MODEL, data, out, cache, "32x32x5:2", BATCH_TOKENS, null),
                new TrainingRun.DataParallel(Communicator.single(), 2), ProgressListener.NONE, new CancellationToken(), m -> { });
        TrainingRun.Result r = TrainingRun.run(TrainingRank.options(MODEL, data, out, cache, "32x32x5:3", BATCH_TOKENS, out),
                ProgressListener.NONE, new CancellationToken(), m -> { });
        assertThat(r.steps()).isEqualTo(3);
        assertThatThrownBy(() -> TrainingRun.run(TrainingRank.options(MODEL, data, out, cache, "32x32x5:4", BATCH_TOKENS, out),
                new TrainingRun.DataParallel(Communicator.single(), 3), ProgressListener.NONE, new CancellationToken(), m -> { }))
                .hasMessageContaining("the checkpoint's run had --packs-per-step 2, this one --packs-per-step 3; resume with --packs-per-step 2");
    }

    /** The output of one 2-rank run of {@link #STAGES}, shared by the tests that read it. */
    private static synchronized Path twoRankRun() throws Exception {
        Path out = shared.resolve("two-ranks");
        if (!Files.isRegularFile(out.resolve("loss.jsonl"))) {
            Run mpi = mpirun(out, STAGES, 600, "none", 90);
            assertThat(mpi.exit()).as(mpi.log()).isZero();
            assertThat(out.resolve("checkpoint-4")).isDirectory();
        }
        return out;
    }

    /** Seconds from the fault marker's creation to now (mpirun just ended). */
    private static double endedAfterFault(Path output) throws IOException {
        Path marker = output.resolve("reached-step-2");
        assertThat(marker).exists();
        return (System.currentTimeMillis() - Files.getLastModifiedTime(marker).toMillis()) / 1000.0;
    }

    private record Run(int exit, String log) {
    }

    private static Run mpirun(Path output, String stages, int timeoutSeconds, String fault, int limitSeconds) throws Exception {
        assumeTrue(onPath("mpirun"), "mpirun is not installed (Debian: apt-get install openmpi-bin libopenmpi-dev; .ci/run does it)");
        Files.createDirectories(output);
        Path log = output.resolveSibling(output.getFileName() + ".log");
        List<String> cmd = new ArrayList<>(List.of("mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                TrainingRank.class.getName(), MODEL.toString(), data.toString(), output.toString(), shared.resolve("cache").toString(),
                stages, Integer.toString(BATCH_TOKENS), Integer.toString(timeoutSeconds), fault));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean ended = p.waitFor(limitSeconds, TimeUnit.SECONDS);
        if (!ended) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String text = Files.readString(log);
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

    private static List<JsonNode> lines(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(file)) {
            out.add(JSON.readTree(l));
        }
        return out;
    }

    /** {max |a - b|, max |a|} over every tensor of two safetensors files with the same names. */
    private static double[] maxDiff(Path a, Path b) {
        double diff = 0, scale = 0;
        try (SafetensorsFile fa = SafetensorsFile.open(a); SafetensorsFile fb = SafetensorsFile.open(b)) {
            assertThat(fa.names()).containsExactlyInAnyOrderElementsOf(fb.names());
            for (String name : fa.names()) {
                float[] x = fa.entry(name).toTensor().data(), y = fb.entry(name).toTensor().data();
                for (int i = 0; i < x.length; i++) {
                    diff = Math.max(diff, Math.abs(x[i] - y[i]));
                    scale = Math.max(scale, Math.abs(x[i]));
                }
            }
        }
        return new double[]{diff, scale};
    }
}
