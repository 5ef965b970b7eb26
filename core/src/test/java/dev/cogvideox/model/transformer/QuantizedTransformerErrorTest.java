package dev.cogvideox.model.transformer;

import dev.cogvideox.tensor.ErrorStats;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.verify.GoldenCase;
import dev.cogvideox.verify.GoldenSuite;
import dev.cogvideox.verify.TransformerCaseInputs;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The numerical cost of quantized weights on the golden transformer cases: each case's {@code out.sample} with the
 * linear layers in int8 and Q4_0 against diffusers' fp32 output. The goldens' tolerances are for fp32 and do not
 * apply; the bounds here are the formats' expected relative errors (int8 per channel: a half step of amax/127 per
 * weight, about 1%; Q4_0: a half step of amax/8 per block of 32, about 10 to 20%) with room for the tiny models'
 * two layers to compound them. The worst errors are printed for docs/performance.md.
 */
class QuantizedTransformerErrorTest {
    private static final Path GOLDEN = GoldenSuite.defaultFixtureRoot().resolve("golden");

    @Test
    void goldenCasesStayWithinEachFormatsExpectedError() throws IOException {
        List<Path> cases;
        try (Stream<Path> s = Files.list(GOLDEN)) {
            cases = s.filter(p -> p.getFileName().toString().matches("transformer_.*\\.json")).sorted().toList();
        }
        assertThat(cases).hasSizeGreaterThanOrEqualTo(10);
        for (QuantFormat f : new QuantFormat[] {QuantFormat.INT8, QuantFormat.Q4_0}) {
            double worstRel = 0, worstAbs = 0;
            for (Path json : cases) {
                try (GoldenCase c = GoldenCase.open(json)) {
                    ErrorStats e;
                    try (CogVideoXTransformer3DModel model = CogVideoXTransformer3DModel.load(c.modelDir().resolve("transformer"), f)) {
                        e = ErrorStats.of(c.tensor("out.sample"), TransformerCaseInputs.read(c).forward(model));
                    }
                    System.out.printf(Locale.ROOT, "%s %-34s worst abs %.3e, rms relative %.3e%n", f, c.name(), e.worstAbs(), e.rmsRelative());
                    worstRel = Math.max(worstRel, e.rmsRelative());
                    worstAbs = Math.max(worstAbs, e.worstAbs());
                }
            }
            System.out.printf(Locale.ROOT, "%s over %d transformer cases: worst abs %.3e, worst rms relative %.3e%n", f, cases.size(), worstAbs, worstRel);
            assertThat(worstRel).as("%s rms relative error of out.sample", f).isGreaterThan(0).isLessThan(f == QuantFormat.INT8 ? 0.03 : 0.4);
        }
    }

}
