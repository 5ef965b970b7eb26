package dev.cogvideox.verify;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Discovers golden cases and runs them through the registered verifiers. */
public final class GoldenSuite {
    /** Environment variable naming the fixture root (the folder holding {@code golden/} and {@code models/}). */
    public static final String FIXTURES_ENV = "COGVIDEOX_FIXTURES";

    private final Map<String, ComponentVerifier> verifiers;

    public GoldenSuite(Collection<ComponentVerifier> verifiers) {
        this.verifiers = verifiers.stream().collect(Collectors.toMap(ComponentVerifier::component, Function.identity()));
    }

    /** The suite with every verifier the project has. */
    public static GoldenSuite standard() {
        return new GoldenSuite(Verifiers.all());
    }

    public Set<String> implementedComponents() {
        return verifiers.keySet();
    }

    /**
     * The fixture root: {@code $COGVIDEOX_FIXTURES}, else {@code ../shared/fixtures} beside the project: the project
     * found from the working directory (or a module folder in it) and, failing that, from where this code was loaded
     * (the launcher's jar or a module's classes), so {@code verify} works from any folder.
     */
    public static Path defaultFixtureRoot() {
        String env = System.getenv(FIXTURES_ENV);
        if (env != null && !env.isBlank()) {
            return Paths.get(env);
        }
        Path cwd = Paths.get("").toAbsolutePath();
        Path found = fixturesAbove(cwd);
        if (found == null) {
            found = fixturesAbove(codeLocation());
        }
        return found != null ? found : cwd.resolve("../shared/fixtures").normalize();
    }

    /** {@code ../shared/fixtures} of {@code start} or a folder above it, up to the project root (the folder with {@code mvnw}). */
    static Path fixturesAbove(Path start) {
        for (Path p = start; p != null; p = p.getParent()) {
            Path candidate = p.resolve("../shared/fixtures").normalize();
            if (Files.isDirectory(candidate.resolve("golden"))) {
                return candidate;
            }
            if (Files.exists(p.resolve("mvnw"))) {
                break;
            }
        }
        return null;
    }

    private static Path codeLocation() {
        try {
            var source = GoldenSuite.class.getProtectionDomain().getCodeSource();
            return source == null ? null : Paths.get(source.getLocation().toURI()).toAbsolutePath();
        } catch (java.net.URISyntaxException | SecurityException | IllegalArgumentException e) {
            return null;
        }
    }

    /** Every {@code golden/*.json} under {@code root}, sorted by name. */
    public static List<Path> discover(Path root) {
        Path golden = root.resolve("golden");
        if (!Files.isDirectory(golden)) {
            throw new IllegalArgumentException("no golden/ folder under fixture root " + root.toAbsolutePath()
                    + " (set " + FIXTURES_ENV + " or pass --fixtures)");
        }
        try (Stream<Path> s = Files.list(golden)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot list " + golden + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs one case. Every non-debug {@code out.*} tensor must have been checked, and every input of the case (its
     * tensors, arguments, function, state) read, for the case to pass.
     */
    public CaseResult run(Path json) {
        try (GoldenCase c = GoldenCase.open(json)) {
            ComponentVerifier v = verifiers.get(c.component());
            if (v == null) {
                return new CaseResult(c.name(), c.component(), CaseResult.Status.SKIPPED,
                        "no verifier for component '" + c.component() + "' on this classpath (not implemented, or its verifier is in a module not loaded here)", List.of());
            }
            Checker checker = new Checker(c);
            try {
                v.verify(c, checker);
            } catch (Exception | Error e) {
                return new CaseResult(c.name(), c.component(), CaseResult.Status.FAILED, "error: " + describe(e), checker.results());
            }
            List<String> failures = new ArrayList<>();
            for (Checker.TensorResult r : checker.results()) {
                if (!r.passed()) {
                    failures.add(r.name() + ": " + r.detail());
                }
            }
            Set<String> checked = checker.results().stream().map(Checker.TensorResult::name).collect(Collectors.toSet());
            for (String out : c.names("out.")) {
                if (!out.startsWith("out.dbg.") && !checked.contains(out)) {
                    failures.add(out + ": not produced");
                }
            }
            if (checker.results().isEmpty()) {
                failures.add("nothing was compared");
            }
            List<String> unread = c.unread();
            if (!unread.isEmpty()) {
                failures.add("the case holds inputs no verifier read (this implementation would ignore them): " + String.join(", ", unread));
            }
            return new CaseResult(c.name(), c.component(), failures.isEmpty() ? CaseResult.Status.PASSED : CaseResult.Status.FAILED,
                    String.join("; ", failures), checker.results());
        }
    }

    private static String describe(Throwable e) {
        StringWriter sw = new StringWriter();
        e.printStackTrace(new PrintWriter(sw));
        String[] lines = sw.toString().split("\n");
        return String.join("\n    ", java.util.Arrays.copyOf(lines, Math.min(lines.length, 8)));
    }
}
