package dev.cogvideox.world.eval;

import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.SafetensorsWriter;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.world.Combination;
import dev.cogvideox.world.HeldOut;
import dev.cogvideox.world.model.WorldModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AttributeProbeTest {
    @TempDir
    static Path tmp;
    static Path model;

    @BeforeAll
    static void writeUntrained() {
        model = tmp.resolve("untrained");
        WorldModel.write(model, 0, DType.F32, null, 0.7, null);
    }

    @Test
    void eachSwapChangesExactlyItsOwnAttributeAndStaysVisible() {
        for (Combination c : Combination.all()) {
            List<Combination> s = AttributeProbe.swaps(c);
            assertThat(s.get(0).colour()).isNotEqualTo(c.colour());
            assertThat(s.get(0).colour().rgb()).isNotEqualTo(c.background().rgb());
            assertThat(List.of(s.get(0).shape(), s.get(0).direction(), s.get(0).background())).containsExactly(c.shape(), c.direction(), c.background());
            assertThat(s.get(1).shape()).isNotEqualTo(c.shape());
            assertThat(List.of(s.get(1).colour(), s.get(1).direction(), s.get(1).background())).containsExactly(c.colour(), c.direction(), c.background());
            assertThat(s.get(2).direction()).isEqualTo(c.direction().opposite());
            assertThat(List.of(s.get(2).colour(), s.get(2).shape(), s.get(2).background())).containsExactly(c.colour(), c.shape(), c.background());
        }
    }

    @Test
    void swappingFramesExchangesExactlyThoseTwo() {
        int f = 5, per = 3 * 2 * 2;
        float[] d = new float[f * per];
        for (int i = 0; i < d.length; i++) {
            d[i] = i;
        }
        Tensor swapped = AttributeProbe.swapFrames(Tensor.of(d, 1, f, 3, 2, 2), 1, 3);
        assertThat(swapped.shape()).containsExactly(1, f, 3, 2, 2);
        int[] from = {0, 3, 2, 1, 4};
        for (int k = 0; k < f; k++) {
            for (int j = 0; j < per; j++) {
                assertThat(swapped.data()[k * per + j]).isEqualTo(from[k] * per + j);
            }
        }
    }

    @Test
    void aModelThatReadsTheTextShowsGapsAndOneThatCannotShowsNone() throws Exception {
        List<AttributeProbe.AtTimestep> reads = AttributeProbe.run(model, HeldOut.combinations(), 2, new int[]{500, 900}, 3, ProgressListener.NONE);
        assertThat(reads).hasSize(2);
        for (AttributeProbe.AtTimestep r : reads) {
            assertThat(r.trueLoss()).isPositive().isFinite();
            for (double g : r.gap()) {
                assertThat(g).isNotZero().isFinite();         // random weights: every word moves the prediction
            }
            assertThat(r.orderGap()).isNotZero().isFinite();
            assertThat(r.orderPreferred()).isBetween(0.0, 1.0);
        }
        // the same model with the text projection zeroed: every prompt gives the same text tokens, so no word can matter
        Path blind = tmp.resolve("blind");
        copyTree(model, blind);
        Path weights = blind.resolve("transformer/diffusion_pytorch_model.safetensors");
        SafetensorsWriter w = new SafetensorsWriter(Map.of("format", "pt"));
        try (SafetensorsFile f = SafetensorsFile.open(weights)) {
            for (String name : f.names().stream().sorted().toList()) {
                Tensor t = f.entry(name).toTensor();
                w.add(name, DType.F32, name.startsWith("patch_embed.text_proj.") ? Tensor.zeros(t.shape()) : t);
            }
        }
        Files.delete(weights);
        w.write(weights);
        List<AttributeProbe.AtTimestep> blindRows = AttributeProbe.run(blind, HeldOut.combinations(), 2, new int[]{500, 900}, 3, ProgressListener.NONE);
        for (int i = 0; i < 2; i++) {
            AttributeProbe.AtTimestep r = blindRows.get(i);
            assertThat(r.gap()).containsOnly(0.0);
            assertThat(r.preferred()).containsOnly(0.0);
            assertThat(r.trueLoss()).isNotEqualTo(reads.get(i).trueLoss());
        }
        assertThatThrownBy(() -> AttributeProbe.run(model, HeldOut.combinations(), 1, new int[]{1000}, 3, ProgressListener.NONE))
                .hasMessageContaining("timestep 1000 is outside [0, 1000)");
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
