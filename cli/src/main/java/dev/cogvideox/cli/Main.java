package dev.cogvideox.cli;

import dev.cogvideox.tensor.Parallel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point of {@code ./cogvideox}. */
@Command(name = "cogvideox", mixinStandardHelpOptions = true, version = "cogvideox 0.1.0",
        description = "CogVideoX text-to-video in pure Java.",
        subcommands = {VerifyCommand.class, InspectCommand.class, BenchCommand.class, SynthCommand.class})
public final class Main implements Runnable {
    @Option(names = "--threads", scope = CommandLine.ScopeType.INHERIT, defaultValue = "0",
            description = "Kernel threads (default: all cores).")
    void setThreads(int threads) {
        Parallel.setThreads(threads);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("error: " + ex.getMessage());
            if (System.getenv("COGVIDEOX_DEBUG") != null) {
                ex.printStackTrace(cmd.getErr());
            }
            return 2;
        });
        System.exit(cl.execute(args));
    }
}
