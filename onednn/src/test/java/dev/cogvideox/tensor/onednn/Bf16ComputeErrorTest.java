package dev.cogvideox.tensor.onednn;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.text.T5EncoderModel;
import dev.cogvideox.model.transformer.CogVideoXTransformer3DModel;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoX;
import dev.cogvideox.tensor.ErrorStats;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenCase;
import dev.cogvideox.verify.GoldenSuite;
import dev.cogvideox.verify.TransformerCaseInputs;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The numerical cost of {@code --compute bf16} on the golden cases: diffusers' and transformers' fp32 outputs against
 * ours with every linear layer and 3D convolution on oneDNN's bf16 kernels (threshold 0, so the tiny models' small
 * layers take them too).
 * The goldens' fp32 tolerances do not apply; the bound is bf16's: inputs and weights rounded to 8-bit mantissas
 * (relative 2^-9) give about 0.2-0.5% per layer, compounded over the tiny models' layers. The worst errors are
 * printed for docs/performance.md.
 */
class Bf16ComputeErrorTest {
    private static final Path GOLDEN = GoldenSuite.defaultFixtureRoot().resolve("golden");
    private static Kernels BF16;

    @BeforeAll
    static void load() {
        assumeTrue(OneDnnKernels.cpuHasBf16() || OneDnnKernelsTest.cpuFlag("avx512f"), "no AVX-512 on this CPU: oneDNN has no bf16 matmul for it");
        BF16 = OneDnnKernels.loadAnyCpu(0);
    }

    @Test
    void transformerCases() throws IOException {
        double worst = 0;
        List<Path> cases = cases("transformer_.*\\.json");
        assertThat(cases).hasSizeGreaterThanOrEqualTo(10);
        for (Path json : cases) {
            try (GoldenCase c = GoldenCase.open(json)) {
                try (CogVideoXTransformer3DModel model = CogVideoXTransformer3DModel.load(c.modelDir().resolve("transformer"), null, BF16)) {
                    worst = Math.max(worst, report(c.name(), c.tensor("out.sample"), TransformerCaseInputs.read(c).forward(model)));
                }
            }
        }
        System.out.printf(Locale.ROOT, "bf16 compute over %d transformer cases: worst rms relative error %.3e%n", cases.size(), worst);
        assertThat(worst).isGreaterThan(1e-4).isLessThan(0.02);
    }

    @Test
    void textEncoderCases() throws IOException {
        double worst = 0;
        List<Path> cases = cases("t5_encoder_.*\\.json");
        assertThat(cases).isNotEmpty();
        for (Path json : cases) {
            try (GoldenCase c = GoldenCase.open(json)) {
                int[][] ids = rows(c, "in.input_ids");
                int[][] mask = c.arguments().get("attention_mask_passed").asBoolean() ? rows(c, "in.attention_mask") : null;
                try (T5EncoderModel model = T5EncoderModel.fromPretrained(c.modelDir().resolve(c.read("model_subfolder").asText("text_encoder")), null, BF16)) {
                    worst = Math.max(worst, report(c.name(), c.tensor("out.last_hidden_state"), model.forward(ids, mask, RunContext.NONE)));
                }
            }
        }
        System.out.printf(Locale.ROOT, "bf16 compute over %d text encoder cases: worst rms relative error %.3e%n", cases.size(), worst);
        assertThat(worst).isGreaterThan(1e-4).isLessThan(0.02);
    }

    /** The VAE decode with its 3D convolutions in bf16 (the untiled decode cases). */
    @Test
    void vaeDecodeCases() throws IOException {
        double worst = 0;
        List<Path> cases = cases("vae_decode_f\\d+_4x4\\.json");
        assertThat(cases).isNotEmpty();
        for (Path json : cases) {
            try (GoldenCase c = GoldenCase.open(json);
                 AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.load(c.modelDir().resolve("vae"), BF16)) {
                Tensor z = c.tensor(c.arguments().get("z").asText());
                worst = Math.max(worst, report(c.name(), c.tensor("out.sample"), vae.decode(z, vae.defaultOptions(), RunContext.NONE)));
            }
        }
        System.out.printf(Locale.ROOT, "bf16 compute over %d VAE decode cases: worst rms relative error %.3e%n", cases.size(), worst);
        assertThat(worst).isGreaterThan(1e-4).isLessThan(0.02);
    }

    private static double report(String name, Tensor expected, Tensor actual) {
        ErrorStats e = ErrorStats.of(expected, actual);
        System.out.printf(Locale.ROOT, "bf16 %-34s worst abs %.3e, rms relative %.3e%n", name, e.worstAbs(), e.rmsRelative());
        return e.rmsRelative();
    }

    private static int[][] rows(GoldenCase c, String name) {
        int[] shape = c.file().entry(name).shape();
        long[] flat = c.longs(name);
        int cols = shape[shape.length - 1];
        int[][] out = new int[flat.length / cols][cols];
        for (int i = 0; i < flat.length; i++) {
            out[i / cols][i % cols] = Math.toIntExact(flat[i]);
        }
        return out;
    }

    private static List<Path> cases(String pattern) throws IOException {
        try (Stream<Path> s = Files.list(GOLDEN)) {
            return s.filter(p -> p.getFileName().toString().matches(pattern)).sorted().toList();
        }
    }
}
