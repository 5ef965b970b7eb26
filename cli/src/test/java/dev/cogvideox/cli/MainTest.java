package dev.cogvideox.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {
    @org.junit.jupiter.api.Test
    void noCommandPrintsTheUsageAndExits2() {
        CliRun r = CliRun.of();
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("Usage: cogvideox").contains("generate").contains("train");
    }

    /** {@code --help} works on every command, even those with required options, and runs nothing. */
    @ParameterizedTest
    @ValueSource(strings = {"generate", "decode", "train", "verify", "inspect", "bench", "synth"})
    void everyCommandPrintsItsHelp(String command) {
        CliRun r = CliRun.of(command, "--help");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("Usage: cogvideox " + command).contains("--help");
        assertThat(r.err()).doesNotContain("Missing required option");
    }
}
