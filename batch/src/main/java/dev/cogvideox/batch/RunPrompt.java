package dev.cogvideox.batch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.tensor.Parallel;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction2;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CancellationException;

/**
 * The task of one line, run on an executor: the runner writes the output (atomically) and the result, done or failed
 * with the runner's one-line reason, goes back to the driver. A failure of the line (bad options, out of memory) is a
 * result, not a failed task, so Spark does not run it again; a task Spark retries (its executor died) finds the output
 * an earlier attempt of this job finished and reports it done instead of writing it twice.
 */
final class RunPrompt extends AbstractFunction2<TaskContext, Iterator<Prompt>, Result> implements Serializable {
    private final PromptRunner runner;
    private final String outputDir;

    RunPrompt(PromptRunner runner, String outputDir) {
        this.runner = runner;
        this.outputDir = outputDir;
    }

    @Override
    public Result apply(TaskContext task, Iterator<Prompt> prompts) {
        Prompt p = prompts.next();
        int attempt = task.attemptNumber();
        SparkEnv env = SparkEnv.get();
        String executor = env.executorId();
        String host = env.blockManager().blockManagerId().host();
        if (!executor.equals("driver")) {
            // an executor's line computes on the cores Spark gave its task (spark.task.cpus); in local mode, on all
            Parallel.setThreads(task.cpus());
        }
        Path out = Path.of(outputDir).resolve(p.output());
        String given = out + (p.output().endsWith("/") ? "/" : "");                 // a folder of frames
        long start = System.nanoTime();
        if (attempt > 0 && writtenByThisJob(out, p.outputModified())) {
            return new Result(p.line(), p.output(), true, null, runner.recorded(given), 0, executor, host, attempt);
        }
        CancellationToken cancel = new CancellationToken();
        Thread killed = Thread.ofVirtual().start(() -> cancelWhenKilled(task, cancel));
        try {
            String settings = runner.run((ObjectNode) PromptFile.JSON.readTree(p.options()), given, cancel);
            return new Result(p.line(), p.output(), true, null, settings, seconds(start), executor, host, attempt);
        } catch (CancellationException e) {
            throw e;                                          // the task was killed: no result
        } catch (Exception | OutOfMemoryError | StackOverflowError e) {
            return new Result(p.line(), p.output(), false, runner.reason(e), null, seconds(start), executor, host, attempt);
        } finally {
            killed.interrupt();
        }
    }

    /** Spark marks a task it kills and leaves stopping to the task: the line's token is cancelled then. */
    private static void cancelWhenKilled(TaskContext task, CancellationToken cancel) {
        try {
            while (!task.isInterrupted()) {
                Thread.sleep(100);
            }
            cancel.cancel();
        } catch (InterruptedException e) {
            // the line ended
        }
    }

    /** Whether {@code out} is there and is not the file the driver saw when it planned the job (or there was none). */
    private static boolean writtenByThisJob(Path out, long modifiedWhenPlanned) {
        try {
            return Files.exists(out) && Files.getLastModifiedTime(out).toMillis() != modifiedWhenPlanned;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double seconds(long start) {
        return Math.round((System.nanoTime() - start) / 1e7) / 100.0;
    }
}
