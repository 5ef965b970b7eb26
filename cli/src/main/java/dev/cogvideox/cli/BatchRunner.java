package dev.cogvideox.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cogvideox.batch.PromptRunner;
import dev.cogvideox.pipeline.CogVideoXPipeline;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * A batch line run as {@code generate}: the line's keys are generate's options in snake_case ({@code "negative_prompt"}
 * is {@code --negative-prompt}), put after the batch's own defaults (so the line's win), and the command checks and
 * runs them exactly as on the command line, with its defaults, its messages and the settings it stores in the video.
 * The model is the batch's, its pipeline opened once per JVM (executor) and kept for every line that runs there.
 */
final class BatchRunner implements PromptRunner {
    /** Keys a line cannot have: the batch decides them. */
    private static final Map<String, String> REFUSED = Map.of(
            "model", "the model is the batch's (batch --model), one for every line",
            "download", "the model is the batch's (batch --model --download)",
            "revision", "the model is the batch's (batch --model --revision)",
            "num_videos", "a line makes one video: give a line per video",
            "parallel", "a batch spreads its lines over Spark's executors; one video over MPI ranks is generate --parallel",
            "collective_timeout", "a batch spreads its lines over Spark's executors; one video over MPI ranks is generate --parallel",
            "load_timeout", "a batch spreads its lines over Spark's executors; one video over MPI ranks is generate --parallel");

    /** The pipelines of this JVM, by model folder: an executor opens each model once, whatever number of lines it runs. */
    private static final Map<Path, CogVideoXPipeline> PIPELINES = new ConcurrentHashMap<>();
    /** How many models this JVM opened (tests check the once-per-executor promise). */
    static final AtomicInteger LOADS = new AtomicInteger();

    private final String model;
    private final List<String> defaults;
    private final String baseDir;

    /**
     * @param model    the model folder, as the executors see it
     * @param defaults the batch's options of generate ({@code --steps 30 ...}), paths absolute
     * @param baseDir  the folder relative paths in lines are resolved against (the prompts file's)
     */
    BatchRunner(String model, List<String> defaults, String baseDir) {
        this.model = model;
        this.defaults = List.copyOf(defaults);
        this.baseDir = baseDir;
    }

    @Override
    public void check(ObjectNode options) {
        GenerateCommand g = parse(options, "output.mp4");
        g.checkOptions();
        if (g.seeds != null && g.seeds.size() > 1) {
            throw new IllegalArgumentException("\"seed\": a line makes one video, so one seed: give a line per seed");
        }
    }

    @Override
    public String run(ObjectNode options, String output, CancellationToken cancel) {
        GenerateCommand g = parse(options, output);
        g.pipelines = BatchRunner::pipeline;
        g.progress = ProgressListener.NONE;
        g.cancellation = cancel;
        g.messages = new PrintStream(OutputStream.nullOutputStream());
        try {
            g.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        return g.ranWith;
    }

    @Override
    public String recorded(String output) {
        try {
            return RunSettings.readFrom(Path.of(output)).toJson();
        } catch (RuntimeException e) {
            return null;                                   // a file generate did not write: the manifest goes without
        }
    }

    @Override
    public String reason(Throwable failure) {
        OutOfMemoryError oom = failure instanceof OutOfMemoryError o ? o : null;
        return oom != null ? ErrorReporter.outOfMemory(oom) : ErrorReporter.message(failure);
    }

    static CogVideoXPipeline pipeline(Path dir) {
        return PIPELINES.computeIfAbsent(dir.toAbsolutePath().normalize(), d -> {
            LOADS.incrementAndGet();
            return CogVideoXPipeline.load(d);
        });
    }

    /** generate parsed from the batch's defaults, then the line's options, then the model and {@code output}. */
    private GenerateCommand parse(ObjectNode options, String output) {
        GenerateCommand g = new GenerateCommand();
        CommandLine cl = new CommandLine(g).setOverwrittenOptionsAllowed(true);
        List<String> args = new ArrayList<>(defaults);
        args.addAll(lineArgs(options, cl.getCommandSpec()));
        args.addAll(List.of("--model", model, "--output", output));
        try {
            cl.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return g;
    }

    /** A line's keys as generate's arguments; a key that is no option of generate, or a value of the wrong kind, is refused. */
    private List<String> lineArgs(ObjectNode options, CommandSpec generate) {
        List<String> args = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : options.properties()) {
            String key = e.getKey();
            JsonNode v = e.getValue();
            String refused = REFUSED.get(key.replace('-', '_'));
            if (refused != null) {
                throw new IllegalArgumentException("\"" + key + "\": " + refused);
            }
            OptionSpec o = key.startsWith("-") ? null : generate.findOption("--" + key.replace('_', '-'));
            if (o == null || o.longestName().equals("--output")) {
                throw new IllegalArgumentException("unknown key \"" + key + "\": a line's keys are \"output\" (its file in the output folder) "
                        + "and generate's options in snake_case: " + keys(generate));
            }
            if (v.isNull()) {
                continue;
            }
            if (!v.isValueNode()) {
                throw new IllegalArgumentException("\"" + key + "\": give one value (a string, a number or true/false), not "
                        + (v.isArray() ? "an array" : "an object"));
            }
            String name = o.longestName();
            if (o.arity().max() == 0) {                                          // a flag: true or false
                if (!v.isBoolean()) {
                    throw new IllegalArgumentException("\"" + key + "\": true or false, not " + v);
                }
                if (v.asBoolean()) {
                    args.add(name);
                } else if (o.negatable()) {
                    args.add(name.replaceFirst("^--", "--no-"));
                }
                continue;
            }
            String value = v.asText();
            if (o.type() == Path.class && !value.isBlank()) {
                Path p = Path.of(value);
                value = (p.isAbsolute() ? p : Path.of(baseDir).resolve(p)).normalize() + (value.endsWith("/") ? "/" : "");
            }
            args.add(name);
            args.add(value);
        }
        return args;
    }

    /** generate's options as line keys (less "output" and the {@link #REFUSED} ones), for the message of an unknown key. */
    private static String keys(CommandSpec generate) {
        return generate.options().stream().map(OptionSpec::longestName).filter(n -> n.startsWith("--") && !n.equals("--output"))
                .map(n -> n.substring(2).replace('-', '_')).filter(k -> !REFUSED.containsKey(k)).collect(Collectors.joining(", "));
    }
}
