package dev.cogvideox.model.transformer;

import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenCase;
import dev.cogvideox.verify.GoldenSuite;
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
                    Tensor expected = c.tensor("out.sample");
                    Tensor actual = run(c, f);
                    double err = 0, ref = 0, abs = 0;
                    for (int i = 0; i < expected.numel(); i++) {
                        double d = (double) actual.data()[i] - expected.data()[i];
                        err += d * d;
                        ref += (double) expected.data()[i] * expected.data()[i];
                        abs = Math.max(abs, Math.abs(d));
                    }
                    double rel = Math.sqrt(err / ref);
                    System.out.printf(Locale.ROOT, "%s %-34s worst abs %.3e, rms relative %.3e%n", f, c.name(), abs, rel);
                    worstRel = Math.max(worstRel, rel);
                    worstAbs = Math.max(worstAbs, abs);
                }
            }
            System.out.printf(Locale.ROOT, "%s over %d transformer cases: worst abs %.3e, worst rms relative %.3e%n", f, cases.size(), worstAbs, worstRel);
            assertThat(worstRel).as("%s rms relative error of out.sample", f).isGreaterThan(0).isLessThan(f == QuantFormat.INT8 ? 0.03 : 0.4);
        }
    }

    private static Tensor run(GoldenCase c, QuantFormat f) {
        var args = c.arguments();
        try (CogVideoXTransformer3DModel model = CogVideoXTransformer3DModel.load(c.modelDir().resolve("transformer"), f)) {
            Tensor hidden = c.tensor(args.get("hidden_states").asText());
            Tensor text = c.tensor(args.get("encoder_hidden_states").asText());
            long[] t = c.longs(args.get("timestep").asText());
            float[] timesteps = new float[t.length];
            for (int i = 0; i < t.length; i++) {
                timesteps[i] = t[i];
            }
            float[] ofs = args.get("ofs").hasValue() ? c.tensor(args.get("ofs").asText()).data() : null;
            Embeddings.RotaryTable rope = args.get("image_rotary_emb").hasValue()
                    ? RotaryPositions.forLatents(model.config(), hidden.dim(3), hidden.dim(4), hidden.dim(1)) : null;
            return model.forward(hidden, text, timesteps, rope, ofs);
        }
    }
}
