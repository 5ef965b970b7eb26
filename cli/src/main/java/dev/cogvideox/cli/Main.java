package dev.cogvideox.cli;

import dev.cogvideox.tensor.Parallel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point of {@code ./cogvideox}. */
@Command(name = "cogvideox", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "cogvideox 0.1.0",
        description = "CogVideoX text-to-video in pure Java.",
        subcommands = {GenerateCommand.class, DecodeCommand.class, TrainCommand.class, VerifyCommand.class, InspectCommand.class, BenchCommand.class, SynthCommand.class, WorldCommand.class, EvaluateCommand.class, ServeCommand.class})
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

    /** The command line with the error handling of the application: one line per error, the stack with COGVIDEOX_DEBUG set. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            java.io.PrintStream err = System.err;
            err.println("error: " + ex.getMessage());
            if (System.getenv("COGVIDEOX_DEBUG") != null) {
                ex.printStackTrace(err);
            }
            return 2;
        });
        return cl;
    }

    public static void main(String[] args) {
        // library warnings (e.g. a truncated prompt) as one plain line: "WARNING: ..."
        System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s: %5$s%n");
        System.exit(commandLine().execute(args));
    }
}
