package dev.cogvideox.train.run;

import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.progress.ProgressUnit;
import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.distributed.Communicator;
import dev.cogvideox.train.optim.LearningRateSchedule;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One rank of the data-parallel tests, started by {@code mpirun} (what {@code cogvideox train} does, without the
 * launcher's build): {@code model data output cache stages batchTokens timeoutSeconds fault}. Rank 0 creates
 * {@code output/reached-step-2} after step 2; with fault {@code die} rank 1 then exits at once (a crash), with
 * {@code stop} it stops itself with SIGSTOP (alive but stuck). One kernel thread per rank.
 */
public final class TrainingRank {
    private TrainingRank() {
    }

    public static void main(String[] args) throws Exception {
        Parallel.setThreads(1);
        Path model = Path.of(args[0]), data = Path.of(args[1]), output = Path.of(args[2]), cache = Path.of(args[3]);
        String fault = args[7];
        Path marker = output.resolve("reached-step-2");
        int code;
        try (Communicator comm = Communicator.fromEnvironment(Duration.ofSeconds(Long.parseLong(args[6])), TrainingRun.AFTER_END)) {
            if (comm.rank() == 1 && !fault.equals("none")) {
                Thread.ofPlatform().daemon().start(() -> faultAt(marker, fault));
            }
            TrainOptions o = options(model, data, output, cache, args[4], Integer.parseInt(args[5]), null);
            TrainingRun.Result r = TrainingRun.run(o, new TrainingRun.DataParallel(comm, 0), reachedStep2(marker), new CancellationToken(),
                    m -> { });
            comm.finish();
            code = r.interrupted() ? 130 : 0;
        }
        System.exit(code);
    }

    /** The options of every run of the data-parallel tests: a rank-4 LoRA, constant lr 1e-3, 4 timestep intervals. */
    static TrainOptions options(Path model, Path data, Path output, Path cache, String stages, int batchTokens, Path resume) {
        return new TrainOptions(model, data, output, cache, 4, 4, Stage.parseList(stages, "--stages"), 0, 1e-3,
                LearningRateSchedule.Kind.CONSTANT, 0, 1.0, batchTokens, 4, null, 0, 2, 2, resume, 7);
    }

    private static ProgressListener reachedStep2(Path marker) {
        return new ProgressListener() {
            private String task = "";

            @Override
            public void onStart(String task, long total, ProgressUnit unit) {
                this.task = task;
            }

            @Override
            public void onProgress(long done) {
                if (task.equals("training") && done == 2) {
                    try {
                        Files.writeString(marker, "2");
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            }

            @Override
            public void onEnd() {
            }
        };
    }

    private static void faultAt(Path marker, String fault) {
        try {
            while (!Files.exists(marker)) {
                Thread.sleep(20);
            }
            System.err.println("rank 1: fault '" + fault + "' at step 2");
            if (fault.equals("die")) {
                Runtime.getRuntime().halt(7);
            }
            new ProcessBuilder("kill", "-STOP", Long.toString(ProcessHandle.current().pid())).start().waitFor();
        } catch (Exception e) {
            Runtime.getRuntime().halt(8);
        }
    }
}
