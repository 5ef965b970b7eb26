package dev.cogvideox.batch;

import org.apache.spark.launcher.JavaModuleOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The JVM flags a Spark driver needs on JDK 25: Spark's own list ({@link JavaModuleOptions}), whose {@code --add-opens}
 * let its serializers and memory code reach into the JDK. Spark passes them to the executors it starts; the driver
 * is this JVM, started by {@code ./cogvideox} (or spark-submit) with them. Without them Spark fails deep inside with
 * an access error, so they are checked first.
 */
final class SparkJvm {
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

    static void check() {
        List<String> missing = missingOpens();
        if (!missing.isEmpty()) {
            throw new IllegalStateException("this JVM lacks the flags Spark needs on JDK " + Runtime.version().feature() + " ("
                    + String.join(" ", missing) + "): run batch through ./cogvideox or spark-submit, which pass them, or give them to java");
        }
    }
}
