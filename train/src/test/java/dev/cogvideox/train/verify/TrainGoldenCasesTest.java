package dev.cogvideox.train.verify;

import dev.cogvideox.verify.CaseResult;
import dev.cogvideox.verify.GoldenCase;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Every {@code train} golden case, through the verifier that {@code META-INF/services} registers. */
class TrainGoldenCasesTest {
    @TestFactory
    Stream<DynamicTest> trainCases() {
        List<Path> cases = GoldenSuite.discover(GoldenSuite.defaultFixtureRoot()).stream().filter(p -> {
            try (GoldenCase c = GoldenCase.open(p)) {
                return c.component().equals("train");
            }
        }).toList();
        assertThat(cases).isNotEmpty();
        GoldenSuite suite = GoldenSuite.standard();
        assertThat(suite.implementedComponents()).contains("train");
        return cases.stream().map(json -> DynamicTest.dynamicTest(json.getFileName().toString(), () -> {
            CaseResult r = suite.run(json);
            assertThat(r.status()).as(r.line()).isEqualTo(CaseResult.Status.PASSED);
        }));
    }
}
