package dev.cogvideox.model.transformer;

import dev.cogvideox.io.ModelFormatException;
import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.SafetensorsWriter;
import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Input checks and determinism of the transformer, on the fixtures' tiny models. */
class CogVideoXTransformer3DModelTest {
    private static final Path MODELS = GoldenSuite.defaultFixtureRoot().resolve("models");

    @TempDir
    Path tmp;

    private static Tensor random(long seed, int... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = (float) r.nextGaussian();
        }
        return t;
    }

    private static CogVideoXTransformer3DModel load(String model) {
        return CogVideoXTransformer3DModel.load(MODELS.resolve(model).resolve("transformer"));
    }

    @Test
    void rejectsLatentsTheModelCannotTake() {
        try (CogVideoXTransformer3DModel m = load("tiny-cogvideox-5b")) {
            Tensor text = random(1, 1, 16, 32);
            float[] t = {500};
            var rope = RotaryPositions.forLatents(m.config(), 8, 8, 3);
            assertThatThrownBy(() -> m.forward(random(2, 1, 3, 15, 8, 8), text, t, rope, null))
                    .hasMessageContaining("15 channels").hasMessageContaining("takes 16");
            assertThatThrownBy(() -> m.forward(random(2, 1, 3, 16, 7, 8), text, t, rope, null))
                    .hasMessageContaining("not a multiple of patch_size 2");
            assertThatThrownBy(() -> m.forward(random(2, 1, 3, 16, 8, 8), text, t, null, null))
                    .hasMessageContaining("uses RoPE");
            assertThatThrownBy(() -> m.forward(random(2, 1, 2, 16, 8, 8), text, t, rope, null))
                    .hasMessageContaining("RoPE table");
            assertThatThrownBy(() -> m.forward(random(2, 1, 3, 16, 8, 8), text, new float[]{1, 2}, rope, null))
                    .hasMessageContaining("2 timesteps for a batch of 1");
        }
        try (CogVideoXTransformer3DModel m = load("tiny-cogvideox-2b")) {
            assertThatThrownBy(() -> m.forward(random(2, 1, 3, 16, 8, 8), random(1, 1, 12, 32), new float[]{1}, null, null))
                    .hasMessageContaining("16 text rows").hasMessageContaining("12 tokens");
        }
        try (CogVideoXTransformer3DModel m = load("tiny-cogvideox-5b-i2v")) {
            var rope = RotaryPositions.forLatents(m.config(), 6, 8, 3);
            assertThatThrownBy(() -> m.forward(random(2, 1, 3, 32, 6, 8), random(1, 1, 16, 32), new float[]{1}, rope, null))
                    .hasMessageContaining("learned positional embeddings").hasMessageContaining("8x8");
        }
        try (CogVideoXTransformer3DModel m = load("tiny-cogvideox1.5-5b-i2v")) {
            var rope = RotaryPositions.forLatents(m.config(), 8, 8, 4);
            assertThatThrownBy(() -> m.forward(random(2, 1, 3, 32, 8, 8), random(1, 1, 16, 32), new float[]{1}, rope, new float[]{2}))
                    .hasMessageContaining("not a multiple of patch_size_t 2");
            assertThatThrownBy(() -> m.forward(random(2, 1, 4, 32, 8, 8), random(1, 1, 16, 32), new float[]{1}, rope, null))
                    .hasMessageContaining("ofs");
            assertThatThrownBy(() -> RotaryPositions.forLatents(m.config(), 18, 8, 4))
                    .hasMessageContaining("does not fit");
        }
    }

    @Test
    void namesAMisShapedWeightWithBothShapes() throws IOException {
        Path src = MODELS.resolve("tiny-cogvideox-2b/transformer");
        Path dst = Files.createDirectories(tmp.resolve("transformer"));
        Files.copy(src.resolve("config.json"), dst.resolve("config.json"));
        SafetensorsWriter w = new SafetensorsWriter(Map.of("format", "pt"));
        try (SafetensorsFile f = SafetensorsFile.open(src.resolve("diffusion_pytorch_model.safetensors"))) {
            for (String name : f.names()) {
                Tensor t = f.entry(name).toTensor();
                if (name.equals("transformer_blocks.1.attn1.to_v.weight")) {
                    t = t.reshape(16, 64);
                }
                if (!name.equals("norm_final.bias")) {
                    w.add(name, f.entry(name).dtype(), t);
                }
            }
            w.write(dst.resolve("diffusion_pytorch_model.safetensors"));
        }
        assertThatThrownBy(() -> CogVideoXTransformer3DModel.load(dst)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("transformer_blocks.1.attn1.to_v.weight").hasMessageContaining("[16, 64]").hasMessageContaining("[32, 32]");
    }

    @Test
    void outputDoesNotDependOnTheThreadCount() {
        try (CogVideoXTransformer3DModel m = load("tiny-cogvideox1.5-5b")) {
            Tensor x = random(3, 2, 2, 16, 6, 10);
            Tensor text = random(4, 2, 16, 32);
            var rope = RotaryPositions.forLatents(m.config(), 6, 10, 2);
            int before = Parallel.threads();
            try {
                Parallel.setThreads(1);
                Tensor one = m.forward(x, text, new float[]{999, 3}, rope, null);
                Parallel.setThreads(3);
                Tensor three = m.forward(x, text, new float[]{999, 3}, rope, null);
                assertThat(three.data()).containsExactly(one.data());
                assertThat(one.shape()).containsExactly(2, 2, 16, 6, 10);
            } finally {
                Parallel.setThreads(before);
            }
        }
    }
}
