package dev.cogvideox.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class VerifyCommandTest {
    @TempDir
    Path tmp;

    /** Run from a folder outside the project, as a user may: the fixtures are found beside the project, not the cwd. */
    @Test
    void findsTheFixturesFromAnyWorkingFolder() throws Exception {
        try (ChildCli cli = ChildCli.start(tmp, Main.class.getName(), "verify", "--component", "rng")) {
            Integer exit = cli.exitWithin(60);
            assertThat(exit).as(cli.err()).isZero();
            assertThat(cli.out()).containsPattern("(?m)^[1-9]\\d* passed, 0 failed, 0 skipped$");
        }
    }

    @Test
    void anUnknownComponentIsAnErrorListingTheKnownOnes() {
        CliRun r = CliRun.of("verify", "--component", "nosuch");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--component nosuch").contains("rng").contains("transformer").contains("vae");
        assertThat(r.out()).doesNotContain("0 passed");
        CliRun none = CliRun.of("verify", "--case", "no-case-has-this-name");
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("no golden case").contains("--case no-case-has-this-name");
    }
}
