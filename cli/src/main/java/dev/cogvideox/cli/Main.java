package dev.cogvideox.cli;

import dev.cogvideox.tensor.Parallel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Entry point of {@code ./cogvideox}. */
@Command(name = "cogvideox", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "cogvideox 0.1.0",
        description = "CogVideoX text-to-video in pure Java.",
        subcommands = {GenerateCommand.class, DecodeCommand.class, TrainCommand.class, VerifyCommand.class, InspectCommand.class, BenchCommand.class, SynthCommand.class, WorldCommand.class, EvaluateCommand.class})
public final class Main implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--threads", scope = CommandLine.ScopeType.INHERIT, defaultValue = Option.NULL_VALUE,
            description = "Kernel threads, at least 1 (default: all cores).")
    void setThreads(Integer threads) {
        if (threads != null && threads < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be at least 1, got " + threads
                    + " (leave it out to use all cores)");
        }
        Parallel.setThreads(threads == null ? 0 : threads);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** The command line with the error handling of the application: one line per error ({@link ErrorReporter}), the stack with COGVIDEOX_DEBUG set. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> ErrorReporter.report(ex, System.err));
        // an Error (OutOfMemoryError above all) passes picocli's exception handler by: caught here
        CommandLine.IExecutionStrategy run = new CommandLine.RunLast();
        cl.setExecutionStrategy(parsed -> {
            try {
                return run.execute(parsed);
            } catch (OutOfMemoryError | StackOverflowError e) {
                return ErrorReporter.report(e, System.err);
            }
        });
        return cl;
    }

    public static void main(String[] args) {
        // library warnings (e.g. a truncated prompt) as one plain line: "WARNING: ..."
        System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s: %5$s%n");
        System.exit(commandLine().execute(args));
    }
}
