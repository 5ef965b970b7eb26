package dev.cogvideox.data.job;

import dev.cogvideox.batch.SparkJvm;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressBar;
import dev.cogvideox.progress.ProgressUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.SparkSession;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * {@code data prepare}, driven from this JVM: lists the inputs, runs one Spark task per input (decode, split at cuts,
 * features, rules, score and captions; {@link VideoTask}), shows each input's clips as its result arrives, then writes
 * the output folder: the kept clips ({@code clips/}), {@code clips.jsonl} (the dataset {@code train --data} reads),
 * {@code manifest.parquet} (every clip, feature, score, verdict and caption) and {@code report.html}. Each file is
 * written whole; a rerun does the work again (the caption answers come from the cache) and replaces them.
 */
public final class DataJob {
    /** Spark's master when neither {@code --master} nor spark-submit names one: every core of this machine. */
    public static final String DEFAULT_MASTER = "local[*]";

    /** What to run: the input folder or list, the output folder, Spark's master (null: spark-submit's or the default) and settings, and the clips' settings. */
    public record Settings(Path input, Path output, String master, Map<String, String> sparkConf, ClipSettings clips) {
    }

    /** How it ended: inputs, inputs that could not be read, and the clips kept, rejected and failed. */
    public record Summary(int inputs, int failedInputs, int kept, int rejected, int failedClips) {
    }

    /** The feature pass's throughput over {@code rows}: clips and frames per second of one core. */
    static String throughput(List<ClipRow> rows) {
        List<ClipRow> clips = rows.stream().filter(r -> r.features() != null).toList();
        double seconds = clips.stream().mapToDouble(ClipRow::featureSeconds).sum();
        long frames = clips.stream().mapToLong(r -> r.features().frames()).sum();
        if (clips.isEmpty() || seconds <= 0) {
            return "feature pass: no clips";
        }
        return String.format(java.util.Locale.ROOT, "feature pass: %d clips (%d frames) in %.2f s of one core: %.2f clips/s, %.0f frames/s per core "
                + "(decoding and measuring; not encoding the clips nor the servers' answers)", clips.size(), frames, seconds, clips.size() / seconds, frames / seconds);
    }

    private DataJob() {
    }

    public static Summary run(Settings s, ProgressBar bar, CancellationToken cancel) {
        SparkJvm.check("data prepare");
        Path dir = Path.of(s.clips().outputDir());
        List<String> inputs = Inputs.list(s.input(), dir);
        try {
            Files.createDirectories(dir.resolve(ClipSettings.CLIPS));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the output folder " + dir + ": " + e.getMessage(), e);
        }
        bar.println(inputs.size() + " input video" + (inputs.size() == 1 ? "" : "s") + " in " + s.input() + "; output " + dir);
        cancel.throwIfCancelled();
        SparkConf conf = SparkJvm.conf("cogvideox data prepare", s.master(), DEFAULT_MASTER, s.sparkConf());
        SparkSession spark;
        try {
            spark = SparkSession.builder().config(conf).getOrCreate();
        } catch (Exception e) {                              // SparkException is checked, though Scala declares nothing
            throw new IllegalStateException("cannot start Spark (master " + conf.get("spark.master") + "): " + SparkJvm.reason(e, conf), e);
        }
        List<ClipRow> rows = new ArrayList<>();
        AtomicInteger done = new AtomicInteger();
        try {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            sc.setJobDescription("cogvideox data prepare: " + inputs.size() + " videos");
            RDD<String> rdd = sc.parallelize(inputs, inputs.size()).rdd();
            List<Object> partitions = new ArrayList<>(IntStream.range(0, inputs.size()).boxed().toList());
            bar.onStart("preparing", inputs.size(), ProgressUnit.ITEMS);
            SparkJvm.watchForExecutors(sc, conf, bar, done::get);
            SparkJvm.cancelJobsOn(cancel, sc);
            AbstractFunction2<Object, ArrayList<ClipRow>, BoxedUnit> onResult = new AbstractFunction2<>() {
                @Override
                public BoxedUnit apply(Object partition, ArrayList<ClipRow> result) {
                    synchronized (rows) {
                        rows.addAll(result);
                    }
                    bar.println(line(inputs.get((Integer) partition), result));
                    bar.onProgress(done.incrementAndGet());
                    return BoxedUnit.UNIT;
                }
            };
            try {
                spark.sparkContext().runJob(rdd, new ProcessVideo(s.clips()), CollectionConverters.asScala(partitions).toSeq(), onResult,
                        ClassTag$.MODULE$.apply(ArrayList.class));
            } finally {
                bar.onEnd();
            }
            cancel.throwIfCancelled();
            Map<String, Integer> order = new HashMap<>();
            for (int i = 0; i < inputs.size(); i++) {
                order.put(inputs.get(i), i);
            }
            rows.sort(Comparator.comparingInt((ClipRow r) -> order.get(r.input())).thenComparingInt(ClipRow::clipIndex));
            Manifest.write(spark, rows, dir);
        } catch (CancellationException e) {
            throw e;
        } catch (Exception e) {                              // SparkException is checked, though Scala declares nothing
            if (cancel.isCancelled()) {
                bar.println("cancelled after " + done.get() + " of " + inputs.size() + " inputs; the output folder is as the last finished run left it");
                throw new CancellationException("data prepare cancelled");
            }
            if (e instanceof RuntimeException r && !r.getClass().getName().startsWith("org.apache.spark.") && !(r instanceof IllegalStateException)) {
                throw r;
            }
            throw new IllegalStateException("the Spark job stopped after " + done.get() + " of " + inputs.size() + " inputs (the output "
                    + "folder is as the last finished run left it; rerun to go on, caption answers are cached): " + SparkJvm.reason(e, conf), e);
        } finally {
            spark.stop();
        }
        bar.println(throughput(rows));
        DatasetFiles.write(dir, rows);
        Report.write(dir, rows, s.clips().rules(), inputs.size());
        int failedInputs = (int) rows.stream().filter(r -> r.clipIndex() < 0).map(ClipRow::input).distinct().count();
        int kept = (int) rows.stream().filter(ClipRow::kept).count();
        int rejected = (int) rows.stream().filter(r -> ClipRow.REJECTED.equals(r.status())).count();
        int failedClips = (int) rows.stream().filter(r -> r.clipIndex() >= 0 && ClipRow.FAILED.equals(r.status())).count();
        return new Summary(inputs.size(), failedInputs, kept, rejected, failedClips);
    }

    /** One input's result for the console: its clips' verdicts, or why it failed. */
    static String line(String input, List<ClipRow> result) {
        StringBuilder s = new StringBuilder(Path.of(input).getFileName().toString()).append(":");
        for (ClipRow r : result) {
            if (r.clipIndex() < 0) {
                s.append(" failed: ").append(String.join("; ", r.reasons()));
                continue;
            }
            s.append(" [clip ").append(r.clipIndex()).append(' ').append(r.status());
            if (!r.tags().isEmpty()) {
                s.append(' ').append(String.join(",", r.tags()));
            } else if (!r.kept()) {
                s.append(": ").append(String.join("; ", r.reasons()));
            }
            s.append(']');
        }
        return s.append(result.isEmpty() ? "" : " (executor " + result.getFirst().executor() + ")").toString();
    }
}
