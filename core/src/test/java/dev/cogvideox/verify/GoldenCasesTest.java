package dev.cogvideox.verify;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every golden case under the fixture root ({@code $COGVIDEOX_FIXTURES}, default {@code ../shared/fixtures}),
 * one dynamic test each. Cases of components not implemented yet are reported as skipped; so are the {@code train}
 * cases here, whose verifier lives in the train module ({@code TrainGoldenCasesTest} runs them there).
 */
class GoldenCasesTest {
    @TestFactory
    Stream<DynamicTest> goldenCases() {
        Path root = GoldenSuite.defaultFixtureRoot();
        List<Path> cases = GoldenSuite.discover(root);
        assertThat(cases).as("golden cases under %s", root).isNotEmpty();
        GoldenSuite suite = GoldenSuite.standard();
        return cases.stream().map(json -> DynamicTest.dynamicTest(json.getFileName().toString(), () -> {
            CaseResult r = suite.run(json);
            System.out.println(r.line());
            Assumptions.assumeTrue(r.status() != CaseResult.Status.SKIPPED, r.message());
            assertThat(r.status()).as(r.line()).isEqualTo(CaseResult.Status.PASSED);
        }));
    }
}
