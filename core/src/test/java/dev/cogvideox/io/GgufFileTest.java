package dev.cogvideox.io;

import dev.cogvideox.model.transformer.CogVideoXTransformer3DModel;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The GGUF reader on files laid out here byte by byte from the format's specification (ggml's docs/gguf.md: header,
 * typed metadata, tensor infos with dimensions fastest first, aligned data). Files from an independent writer
 * (llama.cpp's gguf-py) are read in {@link GgufIndependentWriterTest}.
 */
class GgufFileTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");

    @TempDir
    Path tmp;

    /** A GGUF v3 file: metadata pairs (string or uint32 values) and tensors (name, ggml type, shape, raw bytes). */
    static final class Writer {
        private record T(String name, int type, int[] shape, byte[] bytes) {
        }

        private final List<Object[]> meta = new ArrayList<>();
        private final List<T> tensors = new ArrayList<>();
        int alignment = 32;

        Writer meta(String key, Object value) {
            meta.add(new Object[] {key, value});
            if (key.equals("general.alignment")) {
                alignment = (Integer) value;
            }
            return this;
        }

        Writer tensor(String name, int type, byte[] bytes, int... shape) {
            tensors.add(new T(name, type, shape, bytes));
            return this;
        }

        byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(0x46554747).putInt(3).putLong(tensors.size()).putLong(meta.size());
            for (Object[] kv : meta) {
                str(b, (String) kv[0]);
                if (kv[1] instanceof String s) {
                    b.putInt(8);
                    str(b, s);
                } else if (kv[1] instanceof Integer i) {
                    b.putInt(4).putInt(i);
                } else {
                    // a list of uint32
                    int[] v = (int[]) kv[1];
                    b.putInt(9).putInt(4).putLong(v.length);
                    for (int x : v) {
                        b.putInt(x);
                    }
                }
            }
            long offset = 0;
            List<Long> offsets = new ArrayList<>();
            for (T t : tensors) {
                str(b, t.name);
                b.putInt(t.shape.length);
                for (int d = t.shape.length - 1; d >= 0; d--) {
                    b.putLong(t.shape[d]);
                }
                b.putInt(t.type).putLong(offset);
                offsets.add(offset);
                offset = (offset + t.bytes.length + alignment - 1) / alignment * alignment;
            }
            while (b.position() % alignment != 0) {
                b.put((byte) 0);
            }
            out.write(b.array(), 0, b.position());
            long written = 0;
            for (int i = 0; i < tensors.size(); i++) {
                while (written < offsets.get(i)) {
                    out.write(0);
                    written++;
                }
                out.write(tensors.get(i).bytes, 0, tensors.get(i).bytes.length);
                written += tensors.get(i).bytes.length;
            }
            return out.toByteArray();
        }

        private static void str(ByteBuffer b, String s) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            b.putLong(u.length).put(u);
        }
    }

    private static byte[] f32(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    private static byte[] f16(float... v) {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putShort(Float.floatToFloat16(x));
        }
        return b.array();
    }

    private static byte[] bf16(float... v) {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putShort((short) (Float.floatToRawIntBits(x) >>> 16));
        }
        return b.array();
    }

    /** One Q4_0 row of 32 values: d = 0.5, nibble q_j = j % 16 in the low halves, 15 - j % 16 in the high ones. */
    private static byte[] q40Row() {
        byte[] b = new byte[18];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort(Float.floatToFloat16(0.5f));
        for (int j = 0; j < 16; j++) {
            b[2 + j] = (byte) (j | (15 - j) << 4);
        }
        return b;
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void readsFloatAndBlockTensorsWithMetadata() throws IOException {
        byte[] q40 = new byte[36];
        System.arraycopy(q40Row(), 0, q40, 0, 18);
        System.arraycopy(q40Row(), 0, q40, 18, 18);
        byte[] q80 = new byte[34];
        ByteBuffer.wrap(q80).order(ByteOrder.LITTLE_ENDIAN).putShort(Float.floatToFloat16(0.25f));
        for (int j = 0; j < 32; j++) {
            q80[2 + j] = (byte) (j - 16);
        }
        byte[] q41 = new byte[20];
        ByteBuffer.wrap(q41).order(ByteOrder.LITTLE_ENDIAN).putShort(Float.floatToFloat16(2f)).putShort(Float.floatToFloat16(-3f));
        for (int j = 0; j < 16; j++) {
            q41[4 + j] = (byte) 0xF1;   // low nibble 1, high nibble 15
        }
        Path p = write("t.gguf", new Writer().meta("general.architecture", "cogvideox").meta("general.alignment", 64)
                .meta("some.list", new int[] {1, 2, 3})
                .tensor("model.diffusion_model.a.weight", 0, f32(1, 2, 3, 4, 5, 6), 2, 3)
                .tensor("b", 1, f16(0.5f, -2f), 2)
                .tensor("c", 30, bf16(1.5f, -0.25f, 8f, 3f), 1, 4)
                .tensor("q4", 2, q40, 2, 32)
                .tensor("q8", 8, q80, 1, 32)
                .tensor("q41", 3, q41, 1, 32).bytes());
        try (GgufFile g = GgufFile.open(p)) {
            assertThat(g.metadata()).containsEntry("general.architecture", "cogvideox").containsEntry("general.alignment", 64L)
                    .containsEntry("some.list", List.of(1L, 2L, 3L));
            assertThat(g.names()).containsExactly("a.weight", "b", "c", "q4", "q8", "q41");
            assertThat(g.weight("a.weight").shape()).containsExactly(2, 3);
            assertThat(g.weight("a.weight").toTensor().data()).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(g.weight("b").toTensor().data()).containsExactly(0.5f, -2f);
            assertThat(g.weight("c").toTensor().data()).containsExactly(1.5f, -0.25f, 8f, 3f);
            Weight q4 = g.weight("q4");
            assertThat(q4.quantFormat()).isEqualTo(QuantFormat.Q4_0);
            assertThat(q4.shape()).containsExactly(2, 32);
            float[] v = q4.toTensor().data();
            for (int r = 0; r < 2; r++) {
                for (int j = 0; j < 16; j++) {
                    assertThat(v[r * 32 + j]).isEqualTo((j - 8) * 0.5f);
                    assertThat(v[r * 32 + 16 + j]).isEqualTo((15 - j - 8) * 0.5f);
                }
            }
            float[] q8 = g.weight("q8").toTensor().data();
            for (int j = 0; j < 32; j++) {
                assertThat(q8[j]).isEqualTo((j - 16) * 0.25f);
            }
            float[] q41v = g.weight("q41").toTensor().data();
            assertThat(q41v[0]).isEqualTo(1 * 2f - 3f);
            assertThat(q41v[16]).isEqualTo(15 * 2f - 3f);
            assertThat(g.byteSize("q4")).isEqualTo(36);
        }
    }

    @Test
    void clearErrorsForTruncatedFilesUnknownTypesAndOtherModels() throws IOException {
        byte[] whole = new Writer().meta("general.architecture", "cogvideox")
                .tensor("w", 2, q40Row(), 1, 32).tensor("x", 0, f32(1, 2), 2).bytes();
        // every cut of the file is refused with the file named, never an index exception
        for (int cut : new int[] {0, 3, 7, 20, 40, whole.length - 30, whole.length - 1}) {
            Path p = write("cut" + cut + ".gguf", Arrays.copyOf(whole, cut));
            assertThatThrownBy(() -> GgufFile.open(p)).isInstanceOf(ModelFormatException.class).hasMessageContaining(p.toString())
                    .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("truncated", "not a GGUF file", "cannot fit"));
        }
        Path k = write("k.gguf", new Writer().tensor("blocks.0.w", 12, new byte[144], 1, 256).bytes());
        assertThatThrownBy(() -> GgufFile.open(k)).hasMessageContaining("blocks.0.w").hasMessageContaining("type 12 (Q4_K)")
                .hasMessageContaining("Q8_0, Q4_0, Q4_1");
        Path odd = write("odd.gguf", new Writer().tensor("w", 2, new byte[18], 1, 33).bytes());
        assertThatThrownBy(() -> GgufFile.open(odd)).hasMessageContaining("not whole blocks of 32");
        Path v1 = write("v1.gguf", ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putInt(0x46554747).putInt(1).array());
        assertThatThrownBy(() -> GgufFile.open(v1)).hasMessageContaining("version 1");
        Path llama = write("llama.gguf", new Writer().meta("general.architecture", "llama").tensor("token_embd.weight", 0, f32(1, 2), 2).bytes());
        assertThatThrownBy(() -> WeightStore.open(llama)).hasMessageContaining("another model").hasMessageContaining("llama");
        Path notGguf = write("n.gguf", "{\"not\": 1}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> GgufFile.open(notGguf)).hasMessageContaining("not a GGUF file");
    }

    @Test
    void aTransformerFolderWithAGgufLoadsAsTheSameQ80Model() throws IOException {
        // the fixture's transformer, its linear layers as Q8_0 blocks and everything else F32, in transformer/*.gguf
        Path dir = tmp.resolve("transformer");
        Files.createDirectories(dir);
        Files.copy(MODEL.resolve("transformer/config.json"), dir.resolve("config.json"));
        Writer w = new Writer().meta("general.architecture", "cogvideox");
        try (WeightStore src = WeightStore.open(MODEL.resolve("transformer"))) {
            for (String n : src.names()) {
                Weight weight = src.weight(n);
                if (QuantizedWeightStore.quantizable(n, weight.rank()) && weight.dim(1) % 32 == 0) {
                    w.tensor(n, 8, q8Bytes(weight), weight.shape());
                } else {
                    w.tensor(n, 0, f32(weight.toTensor().data()), weight.shape());
                }
            }
        }
        Files.write(dir.resolve("diffusion_pytorch_model-Q8_0.gguf"), w.bytes());
        SplittableRandom r = new SplittableRandom(3);
        Tensor hidden = Tensor.zeros(1, 3, 16, 8, 8), text = Tensor.zeros(1, 16, 32);
        for (Tensor t : new Tensor[] {hidden, text}) {
            for (int i = 0; i < t.numel(); i++) {
                t.data()[i] = (float) r.nextGaussian();
            }
        }
        Tensor fromGguf, fromSafetensors;
        try (CogVideoXTransformer3DModel m = CogVideoXTransformer3DModel.load(dir)) {
            fromGguf = m.forward(hidden, text, new float[] {500}, null, null);
        }
        try (CogVideoXTransformer3DModel m = CogVideoXTransformer3DModel.load(MODEL.resolve("transformer"), QuantFormat.Q8_0)) {
            fromSafetensors = m.forward(hidden, text, new float[] {500}, null, null);
        }
        assertThat(fromGguf.data()).as("GGUF Q8_0 vs quantized on load, bit for bit").isEqualTo(fromSafetensors.data());
    }

    /** ggml's Q8_0 blocks of a matrix, written here from the format's definition (d = amax / 127, q = roundf(x / d)). */
    private static byte[] q8Bytes(Weight w) {
        int rows = w.dim(0), cols = w.dim(1);
        byte[] bytes = new byte[rows * cols / 32 * 34];
        MemorySegment out = MemorySegment.ofArray(bytes);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            w.widen((long) r * cols, row, 0, cols);
            for (int b = 0; b < cols / 32; b++) {
                float amax = 0;
                for (int j = 0; j < 32; j++) {
                    amax = Math.max(amax, Math.abs(row[b * 32 + j]));
                }
                float d = amax / 127f, id = d != 0 ? 1 / d : 0;
                long off = (long) (r * cols / 32 + b) * 34;
                out.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), off, Float.floatToFloat16(d));
                for (int j = 0; j < 32; j++) {
                    float x = row[b * 32 + j] * id;
                    out.set(ValueLayout.JAVA_BYTE, off + 2 + j, (byte) (int) Math.copySign(Math.floor(Math.abs(x) + 0.5f), x));
                }
            }
        }
        return bytes;
    }
}
