package dev.cogvideox.batch;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressBar;
import dev.cogvideox.progress.ProgressUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.stream.IntStream;

/**
 * A batch, driven from this JVM: reads the prompts file and the manifest of the output folder, reports the lines that
 * cannot run and skips those done earlier with the same model and options (their file still there), runs the rest on
 * Spark, one task per line (so Spark balances them over the executors and retries one whose executor dies), and
 * appends each result to the manifest as it arrives, with a progress bar over the lines.
 */
public final class BatchJob {
    /** Spark's master when neither {@code --master} nor spark-submit names one: one line at a time in this JVM, on all its cores. */
    public static final String DEFAULT_MASTER = "local[1]";

    /**
     * What to run: the prompts file, the output folder, Spark's master ({@code local[N]}, {@code spark://host:port};
     * null for spark-submit's or {@link #DEFAULT_MASTER}) and other Spark settings, and what besides a line decides its
     * output (the model folder, the batch's default options), which the manifest records.
     */
    public record Settings(Path prompts, Path outputDir, String master, Map<String, String> sparkConf, String model, List<String> defaults) {
    }

    /** How the lines ended: generated now, failed now, skipped as done earlier. */
    public record Summary(int done, int failed, int skipped) {
    }

    private BatchJob() {
    }

    /** What a run does with the lines: those to generate, those refused (with their entries), how many it skips. */
    private record Plan(List<Prompt> toRun, List<Manifest.Entry> refused, int skipped, Map<Integer, String> prompts) {
    }

    /**
     * Runs the batch; {@code cancel} (Ctrl-C) cancels the Spark job, whose tasks stop their lines at the next step,
     * leaving no partial file, and ends the run with a {@link CancellationException}.
     */
    public static Summary run(Settings s, PromptRunner runner, ProgressBar bar, CancellationToken cancel) {
        SparkJvm.check("batch");
        Path dir = s.outputDir().toAbsolutePath().normalize();
        List<PromptFile.Line> lines = PromptFile.read(s.prompts());
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the output folder " + dir + ": " + e.getMessage(), e);
        }
        Path manifestFile = dir.resolve(Manifest.NAME);
        // earlier runs' done outputs stay on record; everything else is decided again now
        Map<String, Manifest.Entry> state = new LinkedHashMap<>();
        Manifest.read(manifestFile).forEach((output, e) -> {
            if (e.done()) {
                state.put(output, e);
            }
        });
        Plan plan = plan(lines, dir, state, s, runner);
        plan.refused().forEach(e -> put(state, e));
        Manifest.write(manifestFile, sorted(state));
        bar.println(lines.size() + " line" + (lines.size() == 1 ? "" : "s") + " in " + s.prompts() + ": " + plan.toRun().size()
                + " to generate, " + plan.skipped() + " done earlier (skipped), " + plan.refused().size() + " refused; manifest " + manifestFile);
        for (Manifest.Entry e : plan.refused()) {
            bar.println("failed line " + e.line() + ": " + e.reason());
        }
        if (plan.toRun().isEmpty()) {
            return new Summary(0, plan.refused().size(), plan.skipped());
        }
        AtomicIntegerArray counts = new AtomicIntegerArray(2);                  // done, failed
        cancel.throwIfCancelled();
        try {
            execute(plan, s, runner, dir, manifestFile, state, bar, counts, cancel);
        } finally {
            Manifest.write(manifestFile, sorted(state));
        }
        return new Summary(counts.get(0), plan.refused().size() + counts.get(1), plan.skipped());
    }

    /** Refuses the lines that cannot run (on the driver, before any job), skips those done earlier, and lists the rest. */
    private static Plan plan(List<PromptFile.Line> lines, Path dir, Map<String, Manifest.Entry> done, Settings s, PromptRunner runner) {
        Map<String, Integer> outputs = new LinkedHashMap<>();
        List<Manifest.Entry> refused = new ArrayList<>();
        List<Prompt> toRun = new ArrayList<>();
        Map<Integer, String> prompts = new LinkedHashMap<>();
        int skipped = 0;
        for (PromptFile.Line line : lines) {
            if (line.error() != null) {
                refused.add(failed(line, line.error(), s));
                continue;
            }
            if (line.options().path("prompt").isTextual()) {
                prompts.put(line.number(), line.options().path("prompt").asText());
            }
            Integer first = outputs.putIfAbsent(line.output(), line.number());
            if (first != null) {
                // recorded by line: the output is the first line's
                refused.add(failed(new PromptFile.Line(line.number(), null, line.options(), null),
                        "output " + line.output() + " is line " + first + "'s too: give each line its own \"output\"", s));
                continue;
            }
            try {
                runner.check(line.options());
            } catch (IllegalArgumentException e) {
                refused.add(failed(line, runner.reason(e), s));
                continue;
            }
            Path out = dir.resolve(line.output());
            Manifest.Entry earlier = done.get(line.output());
            if (earlier != null && earlier.sameRun(s.model(), line.options(), s.defaults()) && Files.exists(out)) {
                skipped++;
                continue;
            }
            toRun.add(new Prompt(line.number(), line.output(), line.options().toString(), lastModified(out)));
        }
        return new Plan(toRun, refused, skipped, prompts);
    }

    /** The Spark job: one task per line, each result appended to the manifest and shown as it reaches the driver. */
    private static void execute(Plan plan, Settings s, PromptRunner runner, Path dir, Path manifestFile, Map<String, Manifest.Entry> state,
                                ProgressBar bar, AtomicIntegerArray counts, CancellationToken cancel) {
        List<Prompt> toRun = plan.toRun();
        SparkConf conf = SparkJvm.conf("cogvideox batch", s.master(), DEFAULT_MASTER, s.sparkConf());
        JavaSparkContext context = SparkJvm.start(conf);
        try (Manifest manifest = Manifest.append(manifestFile); JavaSparkContext sc = context) {
            sc.setJobDescription("cogvideox batch: " + toRun.size() + " lines of " + s.prompts().getFileName());
            RDD<Prompt> rdd = sc.parallelize(toRun, toRun.size()).rdd();
            List<Object> partitions = new ArrayList<>(IntStream.range(0, toRun.size()).boxed().toList());
            bar.onStart("generating", toRun.size(), ProgressUnit.ITEMS);
            SparkJvm.watchForExecutors(sc, conf, bar, () -> counts.get(0) + counts.get(1));
            SparkJvm.cancelJobsOn(cancel, sc);
            // called on the driver as each task's result arrives
            AbstractFunction2<Object, Result, BoxedUnit> onResult = new AbstractFunction2<>() {
                @Override
                public BoxedUnit apply(Object partition, Result r) {
                    Manifest.Entry e = entry(r, plan.prompts().get(r.line()), toRun.get((Integer) partition).options(), s);
                    manifest.add(e);
                    put(state, e);
                    counts.incrementAndGet(r.done() ? 0 : 1);
                    bar.println((r.done() ? "done " + r.output() : "failed line " + r.line() + " (" + r.output() + "): " + r.reason())
                            + " [line " + r.line() + ", " + r.seconds() + " s, executor " + r.executor() + " on " + r.host()
                            + (r.attempt() > 0 ? ", attempt " + (r.attempt() + 1) : "") + "]");
                    bar.onProgress(counts.get(0) + counts.get(1));
                    return BoxedUnit.UNIT;
                }
            };
            sc.sc().runJob(rdd, new RunPrompt(runner, dir.toString()), CollectionConverters.asScala(partitions).toSeq(), onResult,
                    ClassTag$.MODULE$.apply(Result.class));
        } catch (Exception e) {                              // SparkException is checked, though Scala declares nothing
            if (cancel.isCancelled()) {
                bar.println("cancelled after " + (counts.get(0) + counts.get(1)) + " of " + toRun.size() + " lines (the manifest has "
                        + "their results; rerun the same command to go on)");
                throw new CancellationException("batch cancelled");
            }
            if (e instanceof RuntimeException r && !r.getClass().getName().startsWith("org.apache.spark.") && !(r instanceof IllegalStateException)) {
                throw r;
            }
            throw new IllegalStateException("the Spark job stopped after " + (counts.get(0) + counts.get(1)) + " of " + toRun.size()
                    + " lines (the manifest has their results; rerun the same command to go on): " + SparkJvm.reason(e, conf), e);
        } finally {
            bar.onEnd();
        }
    }

    private static Manifest.Entry failed(PromptFile.Line line, String reason, Settings s) {
        String prompt = line.options() != null && line.options().path("prompt").isTextual() ? line.options().path("prompt").asText() : null;
        return new Manifest.Entry(line.number(), line.output(), Manifest.FAILED, reason, prompt, null, null, null, null, s.model(),
                line.options(), s.defaults(), null, now());
    }

    private static Manifest.Entry entry(Result r, String prompt, String options, Settings s) {
        return new Manifest.Entry(r.line(), r.output(), r.done() ? Manifest.DONE : Manifest.FAILED, r.reason(), prompt, r.seconds(),
                r.executor(), r.host(), r.attempt(), s.model(), json(options), s.defaults(), r.settings() == null ? null : json(r.settings()), now());
    }

    private static JsonNode json(String text) {
        try {
            return PromptFile.JSON.readTree(text);
        } catch (JacksonException e) {
            throw new IllegalStateException("not JSON: " + text, e);
        }
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** The latest entry per output (lines without an output by their number), the newest last. */
    private static void put(Map<String, Manifest.Entry> state, Manifest.Entry e) {
        String key = e.output() != null ? e.output() : "#" + e.line();
        state.remove(key);
        state.put(key, e);
    }

    /** By line, for people reading the manifest. */
    private static List<Manifest.Entry> sorted(Map<String, Manifest.Entry> state) {
        return state.values().stream().sorted(Comparator.comparingInt(Manifest.Entry::line)
                .thenComparing(e -> e.output() == null ? "" : e.output().toLowerCase(Locale.ROOT))).toList();
    }

    private static long lastModified(Path out) {
        try {
            return Files.exists(out) ? Files.getLastModifiedTime(out).toMillis() : -1;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + out + ": " + e.getMessage(), e);
        }
    }
}
