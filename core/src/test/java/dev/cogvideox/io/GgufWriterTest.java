package dev.cogvideox.io;

import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.QuantizedMatrix;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The GGUF writer: round trips of every type it writes through {@link GgufFile}, and the tiny fixture transformer
 * written byte for byte as llama.cpp's gguf-py wrote it ({@code transformer-q8_0.gguf}, by
 * {@code scripts/reference/make_gguf_fixtures.py}).
 */
class GgufWriterTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");

    @TempDir
    Path tmp;

    private static MemorySegment floats(DType dtype, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            switch (dtype) {
                case F32 -> b.putFloat(x);
                case F16 -> b.putShort(Float.floatToFloat16(x));
                case BF16 -> b.putShort(DType.toBf16(x));
                default -> throw new IllegalStateException();
            }
        }
        return MemorySegment.ofArray(b.array());
    }

    private static float[] gaussian(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian() * 3;
        }
        return v;
    }

    private static byte[] bytesOf(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void everyTypeRoundTripsThroughTheReaderByteForByte() {
        SplittableRandom r = new SplittableRandom(27);
        record T(String name, DType dtype, QuantFormat format, int[] shape, MemorySegment bytes) {
        }
        List<T> tensors = new java.util.ArrayList<>();
        tensors.add(new T("f32.bias", DType.F32, null, new int[] {7}, floats(DType.F32, gaussian(r, 7))));
        tensors.add(new T("f16.weight", DType.F16, null, new int[] {3, 5}, floats(DType.F16, gaussian(r, 15))));
        tensors.add(new T("bf16.conv", DType.BF16, null, new int[] {2, 3, 2, 2}, floats(DType.BF16, gaussian(r, 24))));
        for (QuantFormat f : List.of(QuantFormat.Q8_0, QuantFormat.Q4_0, QuantFormat.Q4_1)) {
            Weight w = Weight.of("w", Tensor.of(gaussian(r, 3 * 96), 3, 96));
            tensors.add(new T(f.name().toLowerCase() + ".weight", null, f, new int[] {3, 96}, QuantizedMatrix.quantize(w, f).blocks()));
        }
        // a block tensor of rank 3 (its rows are the last dimension)
        tensors.add(new T("q8_0.rank3", null, QuantFormat.Q8_0, new int[] {2, 2, 32},
                QuantizedMatrix.quantize(Weight.of("c", Tensor.of(gaussian(r, 128), 4, 32)), QuantFormat.Q8_0).blocks()));
        GgufWriter w = new GgufWriter("cogvideox").putString("general.name", "round trip").putUInt32("general.file_type", 7);
        for (T t : tensors) {
            if (t.format() == null) {
                w.add(t.name(), t.dtype(), t.shape(), t::bytes);
            } else {
                w.addBlocks(t.name(), t.format(), t.shape(), t::bytes);
            }
        }
        Path file = tmp.resolve("out/model.gguf");
        long size = w.write(file, "writing", ProgressListener.NONE);
        assertThat(size).isEqualTo(file.toFile().length());
        try (GgufFile g = GgufFile.open(file)) {
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("general.architecture", "cogvideox");
            meta.put("general.name", "round trip");
            meta.put("general.file_type", 7L);
            assertThat(g.metadata()).containsExactlyEntriesOf(meta);
            assertThat(g.names()).containsExactlyElementsOf(tensors.stream().map(T::name).toList());
            for (T t : tensors) {
                assertThat(g.format(t.name())).as(t.name()).isEqualTo(t.format());
                assertThat(g.entry(t.name()).shape()).as(t.name()).containsExactly(t.shape());
                assertThat(g.entry(t.name()).dtype()).as(t.name()).isEqualTo(t.format() == null ? t.dtype() : DType.U8);
                assertThat(bytesOf(g.entry(t.name()).bytes())).as(t.name()).isEqualTo(bytesOf(t.bytes()));
            }
            // the packed matrices read back as the quantized matrices they were written from
            Weight q = g.weight("q4_1.weight");
            assertThat(q.quantFormat()).isEqualTo(QuantFormat.Q4_1);
        }
        // the data is padded to the alignment: 32 bytes, the last tensor (2 x 2 x 34 bytes = 136) included
        assertThat(size % 32).isZero();
    }

    @Test
    void anotherAlignmentIsRecordedAndKept() throws IOException {
        float[] v = gaussian(new SplittableRandom(1), 5);
        Path file = tmp.resolve("a64.gguf");
        new GgufWriter("cogvideox").alignment(64)
                .add("a", DType.F32, new int[] {5}, () -> floats(DType.F32, v))
                .add("b", DType.F32, new int[] {5}, () -> floats(DType.F32, v))
                .write(file, "writing", ProgressListener.NONE);
        byte[] all = Files.readAllBytes(file);
        assertThat(all.length % 64).isZero();
        try (GgufFile g = GgufFile.open(file)) {
            assertThat(g.metadata()).containsEntry("general.alignment", 64L);
            long a = g.entry("a").bytes().address(), b = g.entry("b").bytes().address();
            assertThat(b - a).isEqualTo(64);   // 20 bytes of data, then zeros to the next multiple of 64
            assertThat(g.weight("b").toTensor().data()).containsExactly(v);
        }
        assertThatThrownBy(() -> new GgufWriter("cogvideox").alignment(48)).hasMessageContaining("power of two");
    }

    @Test
    void theFixtureTransformerComesOutAsGgufPyWroteItByteForByte() throws IOException, URISyntaxException {
        // gguf-py's file: general.architecture only, names with ComfyUI's prefix in its order, linear weights Q8_0
        // by gguf-py's quantizer, the rest F32
        Path fixture = Path.of(GgufWriterTest.class.getResource("/gguf/transformer-q8_0.gguf").toURI());
        List<String> order;
        try (GgufFile g = GgufFile.open(fixture)) {
            order = List.copyOf(g.names());
        }
        Path file = tmp.resolve("transformer-q8_0.gguf");
        try (WeightStore src = WeightStore.open(MODEL.resolve("transformer"))) {
            assertThat(order).containsExactlyInAnyOrderElementsOf(src.names());
            GgufWriter w = new GgufWriter("cogvideox");
            for (String n : order) {
                SafetensorsFile.Entry e = src.entry(n);
                if (QuantizedWeightStore.quantizable(n, e.shape().length)) {
                    w.addBlocks("model.diffusion_model." + n, QuantFormat.Q8_0, e.shape(),
                            () -> QuantizedMatrix.quantize(src.weight(n), QuantFormat.Q8_0).blocks());
                } else {
                    w.add("model.diffusion_model." + n, e.dtype(), e.shape(), e::bytes);
                }
            }
            w.write(file, "writing", ProgressListener.NONE);
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(Files.readAllBytes(fixture));
    }

    @Test
    void whatGgufCannotHoldIsRefusedNamingTheTensor() {
        GgufWriter w = new GgufWriter("cogvideox");
        MemorySegment none = MemorySegment.ofArray(new byte[0]);
        assertThatThrownBy(() -> w.add("vae.conv.weight", DType.F32, new int[] {1, 1, 1, 1, 1}, () -> none))
                .hasMessageContaining("vae.conv.weight").hasMessageContaining("5 dimensions").hasMessageContaining("1 to 4");
        assertThatThrownBy(() -> w.addBlocks("odd.weight", QuantFormat.Q4_0, new int[] {2, 40}, () -> none))
                .hasMessageContaining("odd.weight").hasMessageContaining("not whole Q4_0 blocks of 32");
        assertThatThrownBy(() -> w.addBlocks("x.weight", QuantFormat.INT8, new int[] {2, 32}, () -> none))
                .hasMessageContaining("x.weight").hasMessageContaining("Q8_0");
        assertThatThrownBy(() -> w.add("ids", DType.I64, new int[] {2}, () -> none)).hasMessageContaining("ids").hasMessageContaining("I64");
        w.add("a", DType.F32, new int[] {2}, () -> none);
        assertThatThrownBy(() -> w.add("a", DType.F32, new int[] {2}, () -> none)).hasMessageContaining("a added twice");
        assertThatThrownBy(() -> w.putString("general.architecture", "llama")).hasMessageContaining("given twice");
    }

    @Test
    void aFailedWriteLeavesNoFile() throws IOException {
        Path file = tmp.resolve("m.gguf");
        GgufWriter w = new GgufWriter("cogvideox")
                .add("a", DType.F32, new int[] {4}, () -> floats(DType.F32, new float[4]))
                .add("b", DType.F32, new int[] {4}, () -> floats(DType.F32, new float[3]));    // 12 bytes for 16
        assertThatThrownBy(() -> w.write(file, "writing", ProgressListener.NONE)).hasMessageContaining("tensor b")
                .hasMessageContaining("12 bytes given").hasMessageContaining("take 16");
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void tensorsAreAskedForOneAtATimeAndReleased() {
        // the writer holds infos only: each source is asked for its bytes when its turn comes, and told when they are written
        List<String> events = new java.util.ArrayList<>();
        GgufWriter w = new GgufWriter("cogvideox");
        for (String n : List.of("a", "b", "c")) {
            w.add(n, DType.F32, new int[] {8}, new GgufWriter.Source() {
                @Override
                public MemorySegment bytes() {
                    events.add("bytes " + n);
                    return floats(DType.F32, new float[8]);
                }

                @Override
                public void written() {
                    events.add("written " + n);
                }
            });
        }
        assertThat(events).isEmpty();
        w.write(tmp.resolve("s.gguf"), "writing", ProgressListener.NONE);
        assertThat(events).containsExactly("bytes a", "written a", "bytes b", "written b", "bytes c", "written c");
    }
}
