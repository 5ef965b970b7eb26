package dev.cogvideox.verify;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cases beyond {@code ../shared/fixtures}, written by the real diffusers v0.40.0 with
 * {@code scripts/reference/diffusers_extra_goldens.py} and kept in {@code src/test/fixtures-diffusers}: VAE decodes
 * after {@code enable_tiling(...)} with explicit tile sizes and overlaps (all four, and a subset). They use the
 * shared fixtures' tiny models, linked beside them in a temporary fixture root.
 */
class DiffusersExtraCasesTest {
    @TempDir
    static Path root;

    @TestFactory
    Stream<DynamicTest> extraCases() throws IOException {
        Path golden = Files.createDirectories(root.resolve("golden"));
        Files.createSymbolicLink(root.resolve("models"), GoldenSuite.defaultFixtureRoot().resolve("models").toAbsolutePath());
        try (Stream<Path> files = Files.list(Path.of("src/test/fixtures-diffusers/golden"))) {
            for (Path f : files.toList()) {
                Files.copy(f, golden.resolve(f.getFileName()));
            }
        }
        List<Path> cases = GoldenSuite.discover(root);
        assertThat(cases).hasSizeGreaterThanOrEqualTo(2);
        GoldenSuite suite = GoldenSuite.standard();
        return cases.stream().map(json -> DynamicTest.dynamicTest(json.getFileName().toString(), () -> {
            CaseResult r = suite.run(json);
            System.out.println(r.line());
            assertThat(r.status()).as(r.line()).isEqualTo(CaseResult.Status.PASSED);
        }));
    }
}
