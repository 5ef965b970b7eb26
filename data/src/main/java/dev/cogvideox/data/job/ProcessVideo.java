package dev.cogvideox.data.job;

import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction2;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The Spark task of one input, on an executor: its clips' rows back to the driver. Whatever goes wrong with the input
 * is a failed row, not a failed task, so Spark does not try a bad video again and the other inputs go on.
 */
final class ProcessVideo extends AbstractFunction2<TaskContext, Iterator<String>, ArrayList<ClipRow>> implements Serializable {
    private final ClipSettings settings;

    ProcessVideo(ClipSettings settings) {
        this.settings = settings;
    }

    @Override
    public ArrayList<ClipRow> apply(TaskContext task, Iterator<String> inputs) {
        String input = inputs.next();
        String executor = SparkEnv.get().executorId();
        try {
            return new ArrayList<>(new VideoTask(settings, executor).run(input));
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return new ArrayList<>(List.of(new ClipRow(input, -1, null, ClipRow.FAILED, List.of(), List.of(m), 0, null, null, null, null,
                    null, executor, 0)));
        }
    }
}
