package dev.cogvideox.batch;

import org.apache.spark.launcher.JavaModuleOptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The flags Spark's driver needs on JDK 25 are where the drivers start: the tests' JVM (the pom) and the launcher. */
class SparkJvmTest {
    /** Spark's --add-opens whose package this JDK has (Spark 4.2 also names sun.security.action, gone from JDK 25). */
    private static List<String> sparkOpens() {
        return Arrays.stream(JavaModuleOptions.defaultModuleOptionArray()).filter(o -> o.startsWith("--add-opens="))
                .filter(o -> {
                    String[] mp = o.substring("--add-opens=".length()).split("=")[0].split("/");
                    return ModuleLayer.boot().findModule(mp[0]).map(m -> m.getPackages().contains(mp[1])).orElse(false);
                }).toList();
    }

    @Test
    void thisJvmHasEveryOpenSparkNeeds() {
        assertThat(sparkOpens()).hasSizeGreaterThan(10);
        assertThat(SparkJvm.missingOpens()).isEmpty();
    }

    @Test
    void theLauncherPassesThemAll() throws IOException {
        String launcher = Files.readString(Path.of("..", "cogvideox"));
        for (String open : sparkOpens()) {
            assertThat(launcher).as(open).contains(open);
        }
        assertThat(launcher).contains("--sun-misc-unsafe-memory-access=allow").contains("-Dio.netty.tryReflectionSetAccessible=true");
    }
}
