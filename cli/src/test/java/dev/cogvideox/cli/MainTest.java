package dev.cogvideox.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {
    /** Every option says what it does, and every optional one with a value says what it is when not given. */
    @ParameterizedTest
    @ValueSource(strings = {"generate", "decode", "train", "verify", "inspect", "synth", "bench block"})
    void everyOptionHasHelpAndItsDefault(String command) {
        picocli.CommandLine sub = Main.commandLine().getSubcommands().get(command.split(" ")[0]);
        picocli.CommandLine.Model.CommandSpec spec = command.contains(" ") ? sub.getSubcommands().get(command.split(" ")[1]).getCommandSpec()
                : sub.getCommandSpec();
        java.util.List<String> missing = new java.util.ArrayList<>();
        for (picocli.CommandLine.Model.OptionSpec o : spec.options()) {
            if (o.usageHelp() || o.versionHelp()) {
                continue;
            }
            String text = String.join(" ", o.description());
            boolean flag = o.arity().max() == 0;
            boolean shown = spec.usageMessage().showDefaultValues() && o.defaultValue() != null;   // picocli appends "Default: ..."
            if (text.isBlank() || !o.required() && !flag && !shown && !text.toLowerCase(java.util.Locale.ROOT).contains("default")) {
                missing.add(o.longestName() + ": '" + text + "'");
            }
        }
        assertThat(missing).as(command).isEmpty();
    }

    @org.junit.jupiter.api.Test
    void noCommandPrintsTheUsageAndExits2() {
        CliRun r = CliRun.of();
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("Usage: cogvideox").contains("generate").contains("train");
        CliRun bench = CliRun.of("bench");
        assertThat(bench.exit()).isEqualTo(2);
        assertThat(bench.err()).contains("Usage: cogvideox bench").contains("block");
    }

    /** Every command and subcommand, as typed ("world model"). */
    static java.util.stream.Stream<String> commands() {
        java.util.List<String> all = new java.util.ArrayList<>();
        for (var e : Main.commandLine().getSubcommands().entrySet()) {
            all.add(e.getKey());
            e.getValue().getSubcommands().keySet().forEach(sub -> all.add(e.getKey() + " " + sub));
        }
        return all.stream();
    }

    /**
     * {@code --help} works on every command, even those with required options, runs nothing, and every description
     * formats (picocli warns on stderr of a description it cannot format, e.g. a bare '%').
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("commands")
    void everyCommandPrintsItsHelp(String command) {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(command.split(" ")));
        args.add("--help");
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("Usage: cogvideox " + command).contains("--help");
        assertThat(r.err()).doesNotContain("Missing required option").doesNotContain("picocli WARN");
    }
}
