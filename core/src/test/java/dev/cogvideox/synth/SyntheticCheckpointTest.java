package dev.cogvideox.synth;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.transformer.CogVideoXTransformer3DModel;
import dev.cogvideox.model.transformer.RotaryPositions;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class SyntheticCheckpointTest {
    @TempDir
    Path dir;

    @Test
    void shardedTinyCheckpointLoadsAndRuns() throws IOException {
        SyntheticCheckpoint.write(Variant.TINY, DType.BF16, dir, 3, 40_000);
        Path t = dir.resolve("transformer");
        try (Stream<Path> files = Files.list(t)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .contains("config.json", "diffusion_pytorch_model.safetensors.index.json", "diffusion_pytorch_model-00001-of-00004.safetensors")
                    .noneMatch(n -> n.endsWith(".partial"));
        }
        try (WeightStore s = WeightStore.open(t)) {
            assertThat(s.weight("norm_final.weight").get(0)).isEqualTo(1f);
            assertThat(s.weight("transformer_blocks.1.ff.net.2.weight").dtype()).isEqualTo(DType.BF16);
        }
        try (CogVideoXTransformer3DModel m = CogVideoXTransformer3DModel.load(t)) {
            Tensor x = Tensor.zeros(2, 3, 16, 8, 8);
            Tensor out = m.forward(x, Tensor.zeros(2, 16, 32), new float[]{999, 10}, RotaryPositions.forLatents(m.config(), 8, 8, 3), null);
            assertThat(out.shape()).containsExactly(2, 3, 16, 8, 8);
            for (float v : out.data()) {
                assertThat(v).isFinite();
            }
        }
    }

    /** "writing weights" in bytes, moving many times per shard and ending at the bytes of every tensor in the files. */
    @Test
    void writingReportsBytesUpToEveryTensorsSize() throws IOException {
        dev.cogvideox.progress.RecordingListener progress = new dev.cogvideox.progress.RecordingListener(null);
        SyntheticCheckpoint.write(Variant.TINY, DType.BF16, dir, 3, 40_000, progress);
        long tensorBytes = 0;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".safetensors")).toList()) {
                try (dev.cogvideox.io.SafetensorsFile sf = dev.cogvideox.io.SafetensorsFile.open(f)) {
                    for (String name : sf.names()) {
                        tensorBytes += sf.entry(name).byteSize();
                    }
                }
            }
        }
        assertThat(progress.calls.getFirst()).isEqualTo("writing weights " + tensorBytes);
        assertThat(progress.calls.get(progress.calls.size() - 2)).isEqualTo("done " + tensorBytes);
        assertThat(progress.calls.getLast()).isEqualTo("end");
        assertThat(progress.calls.stream().filter(c -> c.startsWith("done ")).count()).isGreaterThan(20);
    }

    @Test
    void aCheckpointLargerThanTheFreeSpaceIsRefusedBeforeWriting() {
        Path out = dir.resolve("new/model");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SyntheticCheckpoint.checkFreeSpace(out, Long.MAX_VALUE / 2))
                .hasMessageContaining(out.toString()).hasMessageContaining("free");
        SyntheticCheckpoint.checkFreeSpace(out, 1024);
        assertThat(out).doesNotExist();
    }

    @Test
    void valuesAreReproducibleAtAnyOffset() {
        float[] whole = new float[100];
        float[] tail = new float[40];
        WeightInit.fill(5, "a.weight", new int[]{10, 10}, 0, whole, 100);
        WeightInit.fill(5, "a.weight", new int[]{10, 10}, 60, tail, 40);
        for (int i = 0; i < 40; i++) {
            assertThat(tail[i]).isEqualTo(whole[60 + i]);
        }
        double sq = 0;
        for (float v : whole) {
            assertThat(Math.abs(v)).isLessThanOrEqualTo((float) (Math.sqrt(3) / Math.sqrt(10)));
            sq += v * v;
        }
        assertThat(Math.sqrt(sq / 100)).isBetween(0.2, 0.45);     // std 1/sqrt(fan_in 10) = 0.316
    }
}
