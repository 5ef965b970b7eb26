package dev.cogvideox.io;

import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsFileTest {
    @TempDir
    Path dir;

    /** A file with the given JSON header and {@code dataBytes} zero bytes of data. */
    private Path raw(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = dir.resolve("t.safetensors");
        Files.write(p, b.array());
        return p;
    }

    @Test
    void roundTripsAllFloatDtypesThroughTheWriter() {
        SplittableRandom rnd = new SplittableRandom(7);
        float[] v = new float[37];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextDouble(-3, 3);
        }
        Tensor t = Tensor.of(v, 37);
        Path p = dir.resolve("w.safetensors");
        new SafetensorsWriter(Map.of("format", "pt"))
                .add("f32", DType.F32, t).add("f16", DType.F16, t).add("bf16", DType.BF16, t)
                .addLongs("ids", new int[]{2}, new long[]{-1, 1L << 40})
                .write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.metadata()).containsEntry("format", "pt");
            assertThat(f.entry("f32").toTensor().data()).containsExactly(v);
            Weight h = f.weight("f16");
            Weight b = f.weight("bf16");
            for (int i = 0; i < v.length; i++) {
                assertThat(h.get(i)).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(v[i])));
                // bf16 keeps 8 significant bits: relative error below 2^-8.
                assertThat((double) b.get(i)).isCloseTo(v[i], org.assertj.core.data.Offset.offset(Math.abs(v[i]) / 256 + 1e-30));
            }
            assertThat(f.entry("ids").longs()).containsExactly(-1, 1L << 40);
        }
        assertThat(dir.toFile().list()).containsExactly("w.safetensors");
    }

    @Test
    void rejectsHeaderLengthPastTheEnd() throws IOException {
        Path p = raw("{}", 0);
        byte[] bytes = Files.readAllBytes(p);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1 << 20);
        Files.write(p, bytes);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("t.safetensors").hasMessageContaining("header length");
    }

    @Test
    void rejectsFilesShorterThanTheLengthField() throws IOException {
        Path p = dir.resolve("short.safetensors");
        Files.write(p, new byte[5]);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFormatException.class).hasMessageContaining("too short");
    }

    @Test
    void rejectsOffsetsOutOfRange() throws IOException {
        Path p = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("tensor a").hasMessageContaining("out of range");
    }

    @Test
    void rejectsOverlappingTensors() throws IOException {
        Path p = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFormatException.class).hasMessageContaining("overlap");
    }

    @Test
    void rejectsUnknownDtype() throws IOException {
        Path p = raw("{\"a\":{\"dtype\":\"F8_E9\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFormatException.class).hasMessageContaining("unknown dtype 'F8_E9'");
    }

    @Test
    void rejectsShapeThatDoesNotMatchTheByteCount() throws IOException {
        Path p = raw("{\"a\":{\"dtype\":\"BF16\",\"shape\":[3,2],\"data_offsets\":[0,8]}}", 8);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("[3, 2]").hasMessageContaining("needs 12 bytes");
    }

    @Test
    void rejectsHeaderThatIsNotJson() throws IOException {
        Path p = raw("{not json", 0);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFormatException.class).hasMessageContaining("not valid JSON");
    }

    @Test
    void namesTheFileAndTensorOfAMissingOrMisShapedWeight() {
        Path p = dir.resolve("m.safetensors");
        new SafetensorsWriter(Map.of()).add("x.weight", DType.F32, Tensor.zeros(4, 3)).write(p);
        try (WeightStore s = WeightStore.open(p)) {
            assertThatThrownBy(() -> s.weight("y.weight")).isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("m.safetensors").hasMessageContaining("missing tensor y.weight");
            assertThatThrownBy(() -> s.weight("x.weight", 3, 4)).isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("x.weight").hasMessageContaining("[4, 3]").hasMessageContaining("[3, 4]");
        }
    }

    @Test
    void readsShardedCheckpointsThroughTheIndex() throws IOException {
        new SafetensorsWriter(Map.of()).add("a", DType.BF16, Tensor.of(new float[]{1, 2}, 2)).write(dir.resolve("m-00001-of-00002.safetensors"));
        new SafetensorsWriter(Map.of()).add("b", DType.F16, Tensor.of(new float[]{3}, 1)).write(dir.resolve("m-00002-of-00002.safetensors"));
        Files.writeString(dir.resolve("m.safetensors.index.json"),
                "{\"metadata\":{},\"weight_map\":{\"a\":\"m-00001-of-00002.safetensors\",\"b\":\"m-00002-of-00002.safetensors\"}}");
        try (WeightStore s = WeightStore.open(dir)) {
            assertThat(s.names()).containsExactlyInAnyOrder("a", "b");
            assertThat(s.weight("a").toTensor().data()).containsExactly(1, 2);
            assertThat(s.weight("b").get(0)).isEqualTo(3f);
        }
        Files.writeString(dir.resolve("m.safetensors.index.json"), "{\"weight_map\":{\"c\":\"missing.safetensors\"}}");
        assertThatThrownBy(() -> WeightStore.open(dir)).isInstanceOf(ModelFormatException.class).hasMessageContaining("shard missing.safetensors");
    }
}
