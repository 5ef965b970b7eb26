package dev.cogvideox.batch;

import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressBar;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.launcher.JavaModuleOptions;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntSupplier;

/**
 * What every Spark driver of this project shares (batch generation, the data pipeline): the JVM flags a driver needs
 * on JDK 25, Spark's settings for a run from the command line, cancelling on Ctrl-C, a word when a cluster gives no
 * executor, and Spark's failure as one line.
 *
 * <p>The flags: Spark's own list ({@link JavaModuleOptions}), whose {@code --add-opens} let its serializers and memory
 * code reach into the JDK. Spark passes them to the executors it starts; the driver is this JVM, started by
 * {@code ./cogvideox} (or spark-submit) with them. Without them Spark fails deep inside with an access error, so they
 * are checked first.
 */
public final class SparkJvm {
    private static final long EXECUTOR_WAIT_MILLIS = 60_000;

    private SparkJvm() {
    }

    /** The {@code --add-opens} of Spark's list this JVM lacks. */
    static List<String> missingOpens() {
        List<String> missing = new ArrayList<>();
        Module self = SparkJvm.class.getModule();
        for (String option : JavaModuleOptions.defaultModuleOptionArray()) {
            if (!option.startsWith("--add-opens=")) {
                continue;
            }
            String[] modulePackage = option.substring("--add-opens=".length()).split("=")[0].split("/");
            Optional<Module> module = ModuleLayer.boot().findModule(modulePackage[0]);
            // (Spark's list names sun.security.action, which JDK 25 no longer has)
            if (module.isPresent() && module.get().getPackages().contains(modulePackage[1]) && !module.get().isOpen(modulePackage[1], self)) {
                missing.add(option);
            }
        }
        return missing;
    }

    /** Fails, naming the flags, when this JVM cannot run a Spark driver; {@code command} names what the user ran. */
    public static void check(String command) {
        List<String> missing = missingOpens();
        if (!missing.isEmpty()) {
            throw new IllegalStateException("this JVM lacks the flags Spark needs on JDK " + Runtime.version().feature() + " ("
                    + String.join(" ", missing) + "): run " + command + " through ./cogvideox or spark-submit, which pass them, or give them to java");
        }
    }

    /**
     * Spark's settings: those of spark-submit (system properties) or {@code master}, else {@code defaultMaster};
     * Spark's console progress off (the command draws its own), the driver on loopback when the cluster is there too,
     * the jar this runs from shipped to the executors, then the user's {@code extra} settings over all of it.
     */
    public static SparkConf conf(String appName, String master, String defaultMaster, Map<String, String> extra) {
        SparkConf conf = new SparkConf().setAppName(appName);
        if (master != null) {
            conf.setMaster(master);
        }
        conf.setIfMissing("spark.master", defaultMaster);
        conf.set("spark.ui.showConsoleProgress", "false");
        if (onLoopback(conf.get("spark.master"))) {
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        Path jar = ownJar();
        if (jar != null) {
            conf.setIfMissing("spark.jars", jar.toString());
        }
        extra.forEach(conf::set);
        return conf;
    }

    /** A Spark context for {@code conf}, or an error saying which master could not be reached and why. */
    public static JavaSparkContext start(SparkConf conf) {
        try {
            return new JavaSparkContext(conf);
        } catch (Exception e) {                              // SparkException is checked, though Scala declares nothing
            throw new IllegalStateException("cannot start Spark (master " + conf.get("spark.master") + "): " + reason(e, conf), e);
        }
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
            Path p = Path.of(SparkJvm.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.isRegularFile(p) && p.toString().endsWith(".jar") ? p : null;
        } catch (Exception e) {
            return null;
        }
    }

    /** Spark's reason, its first line, without the driver's stack trace it appends; a hint for a standalone master. */
    public static String reason(Throwable e, SparkConf conf) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int stack = m.indexOf("\nDriver stacktrace:");
        m = (stack >= 0 ? m.substring(0, stack) : m).strip();
        int nl = m.indexOf('\n');
        m = nl >= 0 ? m.substring(0, nl) : m;
        String master = conf.get("spark.master");
        return m + (master.startsWith("spark://") ? " (check that the master " + master + " is reachable and has workers with "
                + "spark.executor.memory free: its web page, port 8080 by default, lists them)" : "");
    }

    /** Cancels the Spark context's jobs once {@code cancel} is cancelled (on a thread of its own), until the context stops. */
    public static void cancelJobsOn(CancellationToken cancel, JavaSparkContext sc) {
        Thread.ofVirtual().start(() -> {
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
        });
    }

    /**
     * A cluster that cannot give the application an executor leaves the job waiting with no word (Spark's own
     * warning goes to its log): a minute without any result ({@code finished} still 0), one line says so and where to look.
     */
    public static void watchForExecutors(JavaSparkContext sc, SparkConf conf, ProgressBar bar, IntSupplier finished) {
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
            if (!sc.sc().isStopped() && finished.getAsInt() == 0 && sc.statusTracker().getExecutorInfos().length <= 1) {
                bar.println("still no executor from " + master + " after " + EXECUTOR_WAIT_MILLIS / 1000 + " s: its web page (port 8080 by "
                        + "default) shows whether its workers are alive and have the cores and spark.executor.memory ("
                        + conf.get("spark.executor.memory", "1g") + ") this application asks for");
            }
        });
        watch.start();
    }
}
