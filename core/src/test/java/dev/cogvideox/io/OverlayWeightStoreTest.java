package dev.cogvideox.io;

import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OverlayWeightStoreTest {
    @TempDir
    Path dir;

    private WeightStore base() {
        Path p = dir.resolve("m.safetensors");
        new SafetensorsWriter(Map.of())
                .add("a", DType.BF16, Tensor.of(new float[]{1, 2}, 2))
                .add("b", DType.F32, Tensor.of(new float[]{3, 4, 5}, 3))
                .write(p);
        return WeightStore.open(p);
    }

    private static SafetensorsFile.Entry f32(String name, float... v) {
        return new SafetensorsFile.Entry("test", name, DType.F32, new int[]{v.length}, MemorySegment.ofArray(v.clone()));
    }

    @Test
    void aReplacedNameReadsTheReplacementAndEveryOtherNameTheBase() {
        try (WeightStore s = new OverlayWeightStore(base(), Map.of("a", f32("a", 7, 8)), "trained weights")) {
            assertThat(s.names()).containsExactlyInAnyOrder("a", "b");
            assertThat(s.tensor("a", 2).data()).containsExactly(7f, 8f);
            assertThat(s.tensor("b", 3).data()).containsExactly(3f, 4f, 5f);
            assertThat(s.source()).endsWith("m.safetensors (trained weights)");
        }
    }

    @Test
    void replacingANameTheBaseDoesNotHoldIsRefusedAndNamed() {
        try (WeightStore b = base()) {
            assertThatThrownBy(() -> new OverlayWeightStore(b, Map.of("c", f32("c", 1)), "x"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tensor c");
        }
    }
}
