package dev.cogvideox.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.cogvideox.batch.BatchJob;
import dev.cogvideox.progress.ProgressBar;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code cogvideox batch}: the lines of a prompts file generated on Spark, here ({@code local[N]}) or on a cluster
 * ({@code spark://host:port}, or spark-submit), each as {@code generate} would (BatchRunner), with a manifest of what
 * became of each and a rerun that skips what is done. generate's options (but the prompt, output and model) are
 * options of batch too, the defaults of every line.
 */
@Command(name = "batch", modelTransformer = BatchCommand.GenerateOptions.class,
        description = {"Generate the videos of a prompts file (JSON lines) on Spark: on this machine or a cluster, one model load per "
                + "executor, each video written whole, results and failures (with the reason) in OUTPUT/manifest.jsonl; a rerun skips the "
                + "lines done. generate's options given here are every line's defaults.",
                "Exit code: 0 all lines done, 1 some failed (the manifest says why), 2 the batch could not run."})
final class BatchCommand implements Callable<Integer> {
    /** generate's options that are not batch's: the batch has its own output and model, and a line its own prompt. */
    private static final Set<String> NOT_DEFAULTS = Set.of("--prompt", "--output", "--model", "--download", "--revision", "--from", "--num-videos",
            "--parallel", "--collective-timeout");

    @Spec
    CommandSpec spec;

    @Mixin
    ModelSource modelSource;

    @Option(names = "--prompts", required = true, description = "JSON lines, one object per video: \"prompt\" and any of generate's "
            + "options in snake_case, and \"output\", its file in the output folder (default: NNNNN.mp4, the line's number), e.g. "
            + "{\"prompt\": \"a red ball rolls\", \"seed\": 7, \"steps\": 30, \"negative_prompt\": \"blur\", \"output\": \"ball.mp4\"}; "
            + "relative paths (image, video, lora) are the file's folder's.")
    Path prompts;

    @Option(names = {"-o", "--output"}, required = true, description = "Output folder: the videos and manifest.jsonl (one JSON object per "
            + "line: done or failed and why, where and how long it ran, the settings it ran with).")
    Path output;

    @Option(names = "--master", description = "Spark master: local[N] (N lines at once in this JVM), spark://HOST:PORT (a standalone "
            + "cluster; the model folder and the output folder must be the same path on every worker) (default: spark-submit's, "
            + "else " + BatchJob.DEFAULT_MASTER + ": one line at a time, on all cores).")
    String master;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting, as spark-submit's --conf (e.g. "
            + "spark.executor.memory=24g, spark.task.cpus=8); repeatable (default: none).")
    Map<String, String> conf = new LinkedHashMap<>();

    /** Adds generate's options (but {@link #NOT_DEFAULTS}) to batch, with generate's descriptions. */
    static final class GenerateOptions implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec batch) {
            for (OptionSpec o : new CommandLine(new GenerateCommand()).getCommandSpec().options()) {
                if (!NOT_DEFAULTS.contains(o.longestName()) && batch.findOption(o.longestName()) == null) {
                    batch.addOption(OptionSpec.builder(o).build());
                }
            }
            return batch;
        }
    }

    @Override
    public Integer call() throws Exception {
        Path dir = modelSource.resolve().toAbsolutePath().normalize();
        List<String> defaults = defaults();
        Path base = prompts.toAbsolutePath().normalize().getParent();
        BatchRunner runner = new BatchRunner(dir.toString(), defaults, base.toString());
        try {
            runner.check(JsonNodeFactory.instance.objectNode());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("batch options: " + e.getMessage(), e);
        }
        ProgressBar bar = ProgressBar.forConsole(System.err);
        // Ctrl-C cancels the Spark job: the lines running stop at their next step and leave no partial file
        return Cancellable.run(30, cancel -> {
            BatchJob.Summary s = BatchJob.run(new BatchJob.Settings(prompts, output, master, conf, dir.toString(), defaults), runner, bar, cancel);
            System.out.println(s.done() + " generated, " + s.skipped() + " done earlier (skipped), " + s.failed() + " failed; manifest "
                    + output.toAbsolutePath().normalize().resolve("manifest.jsonl"));
            return s.failed() > 0 ? 1 : 0;
        });
    }

    /** The generate options given to batch, as arguments for generate; paths made absolute (the executors run elsewhere). */
    List<String> defaults() {
        List<String> args = new ArrayList<>();
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        for (OptionSpec o : parsed.matchedOptions()) {
            String name = o.longestName();
            if (spec.mixins().get("modelSource").findOption(name) != null || !isGenerateOption(name)) {
                continue;
            }
            if (o.arity().max() == 0) {
                boolean on = Boolean.TRUE.equals(o.getValue());
                if (on) {
                    args.add(name);
                } else if (o.negatable()) {
                    args.add(name.replaceFirst("^--", "--no-"));
                }
                continue;
            }
            for (String v : o.originalStringValues()) {
                args.add(name);
                args.add(o.type() == Path.class ? Path.of(v).toAbsolutePath().normalize() + (v.endsWith("/") ? "/" : "") : v);
            }
        }
        return args;
    }

    private boolean isGenerateOption(String name) {
        return !Set.of("--prompts", "--output", "--master", "--conf", "--threads", "--help", "--version").contains(name);
    }
}
