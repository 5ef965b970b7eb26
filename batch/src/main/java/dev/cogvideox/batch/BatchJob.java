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
import java.net.InetAddress;
import java.net.URI;
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
    private static final long EXECUTOR_WAIT_MILLIS = 60_000;

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
        SparkJvm.check();
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
        SparkConf conf = sparkConf(s);
        JavaSparkContext context;
        try {
            context = new JavaSparkContext(conf);
        } catch (Exception e) {                              // SparkException is checked, though Scala declares nothing
            throw new IllegalStateException("cannot start Spark (master " + conf.get("spark.master") + "): " + sparkReason(e, conf), e);
        }
        try (Manifest manifest = Manifest.append(manifestFile); JavaSparkContext sc = context) {
            sc.setJobDescription("cogvideox batch: " + toRun.size() + " lines of " + s.prompts().getFileName());
            RDD<Prompt> rdd = sc.parallelize(toRun, toRun.size()).rdd();
            List<Object> partitions = new ArrayList<>(IntStream.range(0, toRun.size()).boxed().toList());
            bar.onStart("generating", toRun.size(), ProgressUnit.ITEMS);
            watchForExecutors(sc, conf, bar, counts);
            Thread.ofVirtual().start(() -> cancelJobsOn(cancel, sc));
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
                    + " lines (the manifest has their results; rerun the same command to go on): " + sparkReason(e, conf), e);
        } finally {
            bar.onEnd();
        }
    }

    /** Cancels the Spark context's jobs once {@code cancel} is cancelled, until the context stops. */
    private static void cancelJobsOn(CancellationToken cancel, JavaSparkContext sc) {
        try {
            while (!cancel.isCancelled()) {
                if (sc.sc().isStopped()) {
                    return;
                }
                Thread.sleep(100);
            }
            sc.cancelAllJobs();
        } catch (InterruptedException | IllegalStateException e) {
            // the context stopped
        }
    }

    /**
     * A cluster that cannot give the application an executor leaves the job waiting with no word (Spark's own
     * warning goes to its log): a minute without any, one line says so and where to look.
     */
    private static void watchForExecutors(JavaSparkContext sc, SparkConf conf, ProgressBar bar, AtomicIntegerArray counts) {
        String master = conf.get("spark.master");
        if (master.startsWith("local")) {
            return;
        }
        Thread watch = Thread.ofVirtual().unstarted(() -> {
            try {
                Thread.sleep(EXECUTOR_WAIT_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            if (!sc.sc().isStopped() && counts.get(0) + counts.get(1) == 0 && sc.statusTracker().getExecutorInfos().length <= 1) {
                bar.println("still no executor from " + master + " after " + EXECUTOR_WAIT_MILLIS / 1000 + " s: its web page (port 8080 by "
                        + "default) shows whether its workers are alive and have the cores and spark.executor.memory ("
                        + conf.get("spark.executor.memory", "1g") + ") this application asks for");
            }
        });
        watch.start();
    }

    /**
     * Spark's settings: those of spark-submit (system properties) or {@code --master}, Spark's console progress off
     * (the batch draws its own), the driver on loopback when the cluster is there too, the jar this runs from shipped
     * to the executors, then the user's {@code --conf} over all of it.
     */
    static SparkConf sparkConf(Settings s) {
        SparkConf conf = new SparkConf().setAppName("cogvideox batch");
        if (s.master() != null) {
            conf.setMaster(s.master());
        }
        conf.setIfMissing("spark.master", DEFAULT_MASTER);
        conf.set("spark.ui.showConsoleProgress", "false");
        if (onLoopback(conf.get("spark.master"))) {
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        Path jar = ownJar();
        if (jar != null) {
            conf.setIfMissing("spark.jars", jar.toString());
        }
        s.sparkConf().forEach(conf::set);
        return conf;
    }

    /** Whether the master runs in this JVM or on this machine's loopback address. */
    static boolean onLoopback(String master) {
        if (master.startsWith("local")) {
            return true;
        }
        if (!master.startsWith("spark://")) {
            return false;
        }
        try {
            String host = URI.create(master.split(",")[0]).getHost();
            return host != null && InetAddress.getByName(host).isLoopbackAddress();
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }

    /** The application jar this class was loaded from (the launcher's), or null when it runs from class folders (tests). */
    private static Path ownJar() {
        try {
            Path p = Path.of(BatchJob.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.isRegularFile(p) && p.toString().endsWith(".jar") ? p : null;
        } catch (Exception e) {
            return null;
        }
    }

    /** Spark's reason, its first line, without the driver's stack trace it appends; a hint for a standalone master. */
    private static String sparkReason(Throwable e, SparkConf conf) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int stack = m.indexOf("\nDriver stacktrace:");
        m = (stack >= 0 ? m.substring(0, stack) : m).strip();
        int nl = m.indexOf('\n');
        m = nl >= 0 ? m.substring(0, nl) : m;
        String master = conf.get("spark.master");
        return m + (master.startsWith("spark://") ? " (check that the master " + master + " is reachable and has workers with "
                + "spark.executor.memory free: its web page, port 8080 by default, lists them)" : "");
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
