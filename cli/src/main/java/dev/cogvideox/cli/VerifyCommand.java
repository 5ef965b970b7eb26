package dev.cogvideox.cli;

import dev.cogvideox.verify.CaseResult;
import dev.cogvideox.verify.GoldenSuite;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/** {@code cogvideox verify}: runs the golden cases and prints one line per case. */
@Command(name = "verify", description = "Run the golden cases of a fixture folder and compare every output with its tolerance.")
final class VerifyCommand implements Callable<Integer> {
    @Option(names = "--fixtures", description = "Fixture root holding golden/ and models/ (default: $COGVIDEOX_FIXTURES, else ../shared/fixtures beside the project, "
            + "from any working folder).")
    Path fixtures;

    @Option(names = "--component", description = "Only cases of this component (repeatable): tokenizer, text_encoder, prompt_encoding, embeddings, "
            + "transformer, vae, scheduler, pipeline, train, rng (default: all).")
    List<String> components;

    @Option(names = "--case", description = "Only cases whose name contains this text (repeatable) (default: all).")
    List<String> names;

    @Option(names = {"-v", "--verbose"}, description = "Print every compared tensor.")
    boolean verbose;

    @Override
    public Integer call() {
        Path root = fixtures != null ? fixtures : GoldenSuite.defaultFixtureRoot();
        GoldenSuite suite = GoldenSuite.standard();
        Set<String> only = components == null ? null : Set.copyOf(components);
        List<Path> cases = GoldenSuite.discover(root);
        if (only != null) {
            Set<String> known = new TreeSet<>(suite.implementedComponents());
            cases.forEach(json -> known.add(componentOf(json)));
            known.remove("");
            for (String c : only) {
                if (!known.contains(c)) {
                    throw new IllegalArgumentException("--component " + c + ": no such component; the known ones are " + String.join(", ", known));
                }
            }
        }
        int passed = 0, failed = 0, skipped = 0;
        for (Path json : cases) {
            String file = json.getFileName().toString();
            if (names != null && names.stream().noneMatch(file::contains)) {
                continue;
            }
            if (only != null && !only.contains(componentOf(json))) {
                continue;
            }
            CaseResult r = suite.run(json);
            System.out.println(r.line());
            if (verbose) {
                r.tensors().forEach(t -> System.out.printf("    %-36s %s abs %.3e rel %.3e  %s%n",
                        t.name(), t.passed() ? "ok  " : "FAIL", t.worstAbs(), t.worstRel(), t.detail()));
            }
            switch (r.status()) {
                case PASSED -> passed++;
                case FAILED -> failed++;
                case SKIPPED -> skipped++;
            }
        }
        if (passed + failed + skipped == 0) {
            throw new IllegalArgumentException("no golden case under " + root + " matches" + (only != null ? " --component " + String.join(",", only) : "")
                    + (names != null ? " --case " + String.join(",", names) : ""));
        }
        System.out.printf("%d passed, %d failed, %d skipped%n", passed, failed, skipped);
        return failed == 0 ? 0 : 1;
    }

    private static String componentOf(Path json) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile()).path("component").asText("");
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
