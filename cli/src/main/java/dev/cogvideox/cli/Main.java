package dev.cogvideox.cli;

import dev.cogvideox.progress.ProgressBar;
import dev.cogvideox.tensor.Parallel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** Entry point of {@code ./cogvideox}. */
@Command(name = "cogvideox", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "cogvideox 0.1.0",
        description = "CogVideoX text-to-video in pure Java.",
        subcommands = {GenerateCommand.class, DecodeCommand.class, TrainCommand.class, TrainVaeCommand.class, VerifyCommand.class, InspectCommand.class, QuantizeCommand.class, BenchCommand.class, SynthCommand.class, WorldCommand.class, EvaluateCommand.class, CacheCommand.class, ServeCommand.class, BatchCommand.class, DataCommand.class})
public final class Main implements Callable<Integer> {
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

    /** No command given: the usage on stderr and exit code 2, as for any other incomplete command line. */
    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return 2;
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

    /** Library warnings (e.g. a truncated prompt) as one plain line, "WARNING: ...", never glued to a progress bar. */
    private static void logWarningsAsLines() {
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        for (java.util.logging.Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        java.util.logging.Formatter text = new java.util.logging.SimpleFormatter();
        root.addHandler(new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (isLoggable(r)) {
                    ProgressBar.printLine(System.err, r.getLevel().getLocalizedName() + ": " + text.formatMessage(r));
                }
            }

            @Override
            public void flush() {
                System.err.flush();
            }

            @Override
            public void close() {
            }
        });
    }

    public static void main(String[] args) {
        logWarningsAsLines();
        System.exit(commandLine().execute(args));
    }
}
