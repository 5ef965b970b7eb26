package dev.cogvideox.io;

import dev.cogvideox.progress.CancellationToken;
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
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link QuantizedModelFolder}: what the written folder holds, tensor by tensor and file by file, and what it refuses. */
class QuantizedModelFolderTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");

    @TempDir
    Path tmp;

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(dir::relativize).sorted().toList();
        }
    }

    private static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = Float.floatToRawIntBits(v[i]);
        }
        return b;
    }

    @Test
    void linearLayersAreTheOnLoadQuantizationAndEverythingElseIsCopied() throws IOException {
        Path out = tmp.resolve("q4_1");
        QuantizedModelFolder.Result r = QuantizedModelFolder.write(MODEL, out, QuantFormat.Q4_1, null, ProgressListener.NONE, CancellationToken.NONE);
        assertThat(r.components()).extracting(QuantizedModelFolder.Component::name).containsExactly("transformer", "text_encoder");
        // every file but the two components' safetensors, byte for byte; a GGUF in their place
        List<Path> source = files(MODEL), written = files(out);
        for (Path f : source) {
            String top = f.getName(0).toString();
            if (f.toString().endsWith(".safetensors") && (top.equals("transformer") || top.equals("text_encoder"))) {
                assertThat(written).doesNotContain(f);
            } else {
                assertThat(Files.readAllBytes(out.resolve(f))).as(f.toString()).isEqualTo(Files.readAllBytes(MODEL.resolve(f)));
            }
        }
        assertThat(written).contains(Path.of("transformer/diffusion_pytorch_model-Q4_1.gguf"), Path.of("text_encoder/model-Q4_1.gguf"));
        assertThat(written).hasSize(source.size());
        for (QuantizedModelFolder.Component c : r.components()) {
            int quantized = 0;
            assertThat(c.bytesAfter()).isEqualTo(Files.size(c.file()));
            assertThat(c.bytesBefore()).isEqualTo(Files.size(MODEL.resolve(c.name()).resolve(c.name().equals("transformer")
                    ? "diffusion_pytorch_model.safetensors" : "model.safetensors")));
            try (GgufFile g = GgufFile.open(c.file()); WeightStore src = WeightStore.open(MODEL.resolve(c.name()));
                 WeightStore onLoad = new QuantizedWeightStore(WeightStore.open(MODEL.resolve(c.name())), QuantFormat.Q4_1)) {
                assertThat(g.metadata()).containsEntry("general.architecture", "cogvideox").containsEntry("general.file_type", 3L)
                        .containsEntry("general.quantization_version", 2L);
                assertThat(g.names()).containsExactlyInAnyOrderElementsOf(src.names());
                for (String n : src.names()) {
                    if (QuantizedWeightStore.quantizable(n, src.entry(n).shape().length)) {
                        quantized++;
                        assertThat(g.format(n)).as(n).isEqualTo(QuantFormat.Q4_1);
                        assertThat(bits(g.weight(n).toTensor().data())).as(n).containsExactly(bits(onLoad.weight(n).toTensor().data()));
                    } else {
                        assertThat(g.format(n)).as(n).isNull();
                        assertThat(g.entry(n).dtype()).isEqualTo(src.entry(n).dtype());
                        assertThat(g.entry(n).bytes().toArray(ValueLayout.JAVA_BYTE)).as(n)
                                .isEqualTo(src.entry(n).bytes().toArray(ValueLayout.JAVA_BYTE));
                    }
                }
            }
            assertThat(quantized).isEqualTo(c.quantized()).isPositive();
            assertThat(c.keptAsF32()).isZero();
        }
        // T5's token embeddings and relative position bias are tables, kept as stored (as --weights keeps them)
        try (GgufFile g = GgufFile.open(out.resolve("text_encoder/model-Q4_1.gguf"))) {
            assertThat(g.format("shared.weight")).isNull();
            assertThat(g.format("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight")).isNull();
            assertThat(g.format("encoder.block.0.layer.0.SelfAttention.q.weight")).isEqualTo(QuantFormat.Q4_1);
        }
        assertThat(r.bytesBefore()).isEqualTo(files(MODEL).stream().mapToLong(f -> MODEL.resolve(f).toFile().length()).sum());
        assertThat(r.bytesAfter()).isEqualTo(files(out).stream().mapToLong(f -> out.resolve(f).toFile().length()).sum()).isLessThan(r.bytesBefore());
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("q4_1");   // no partial folder left
        }
    }

    /** A model folder with only a transformer: {@code tensors} (name to shape) in bf16, random values. */
    private Path model(Map<String, int[]> tensors) throws IOException {
        Path m = tmp.resolve("model");
        Files.createDirectories(m.resolve("transformer"));
        Files.writeString(m.resolve("model_index.json"), "{\"_class_name\": \"CogVideoXPipeline\", \"transformer\": [\"diffusers\", "
                + "\"CogVideoXTransformer3DModel\"], \"vae\": [\"diffusers\", \"AutoencoderKLCogVideoX\"]}");
        Files.writeString(m.resolve("transformer/config.json"), "{}");
        Files.createDirectories(m.resolve("vae"));
        SafetensorsWriter w = new SafetensorsWriter(Map.of());
        SplittableRandom r = new SplittableRandom(5);
        tensors.forEach((n, shape) -> w.add(n, DType.BF16, shape, (from, dst, count) -> {
            for (int i = 0; i < count; i++) {
                dst[i] = (float) r.nextGaussian();
            }
        }));
        w.write(m.resolve("transformer/diffusion_pytorch_model.safetensors"));
        new SafetensorsWriter(Map.of()).add("conv.weight", DType.F32, Tensor.zeros(2, 2, 1, 1, 1))
                .write(m.resolve("vae/diffusion_pytorch_model.safetensors"));
        return m;
    }

    @Test
    void aMatrixOfPartialBlocksIsStoredAsF32HoldingItsQuantizedValues() throws IOException {
        Path m = model(Map.of("odd.weight", new int[] {3, 40}, "even.weight", new int[] {2, 64}, "odd.bias", new int[] {3}));
        Path out = tmp.resolve("out");
        QuantizedModelFolder.Result r = QuantizedModelFolder.write(m, out, QuantFormat.Q8_0, List.of("transformer"), ProgressListener.NONE, CancellationToken.NONE);
        assertThat(r.components().getFirst().quantized()).isEqualTo(1);
        assertThat(r.components().getFirst().keptAsF32()).isEqualTo(1);
        assertThat(r.components().getFirst().kept()).isEqualTo(1);
        try (GgufFile g = GgufFile.open(out.resolve("transformer/diffusion_pytorch_model-Q8_0.gguf"));
             WeightStore src = WeightStore.open(m.resolve("transformer"))) {
            assertThat(g.format("odd.weight")).isNull();
            assertThat(g.entry("odd.weight").dtype()).isEqualTo(DType.F32);
            Weight q = src.weight("odd.weight").quantize(QuantFormat.Q8_0);
            float[] want = q.toTensor().data(), stored = src.weight("odd.weight").toTensor().data();
            assertThat(bits(g.weight("odd.weight").toTensor().data())).containsExactly(bits(want));
            assertThat(want).isNotEqualTo(stored);   // the quantized values, not the stored ones
            assertThat(g.format("even.weight")).isEqualTo(QuantFormat.Q8_0);
            assertThat(g.entry("even.weight").bytes().toArray(ValueLayout.JAVA_BYTE))
                    .isEqualTo(QuantizedMatrix.quantize(src.weight("even.weight"), QuantFormat.Q8_0).blocks().toArray(ValueLayout.JAVA_BYTE));
            assertThat(g.entry("odd.bias").dtype()).isEqualTo(DType.BF16);
        }
    }

    @Test
    void refusalsNameWhatIsWrongAndWriteNothing() throws IOException {
        Path out = tmp.resolve("out");
        assertThatThrownBy(() -> QuantizedModelFolder.write(MODEL, out, QuantFormat.INT8, null, ProgressListener.NONE, CancellationToken.NONE))
                .hasMessageContaining("int8").hasMessageContaining("no GGUF type").hasMessageContaining("q8_0");
        assertThatThrownBy(() -> QuantizedModelFolder.write(MODEL, out, QuantFormat.Q8_0, List.of("transformer", "unet"), ProgressListener.NONE, CancellationToken.NONE))
                .hasMessageContaining("no component unet").hasMessageContaining("model_index.json").hasMessageContaining("text_encoder");
        assertThatThrownBy(() -> QuantizedModelFolder.write(MODEL, out, QuantFormat.Q8_0, List.of("vae"), ProgressListener.NONE, CancellationToken.NONE))
                .hasMessageContaining("component vae").hasMessageContaining("no linear layer weights").hasMessageContaining("--components");
        assertThatThrownBy(() -> QuantizedModelFolder.write(MODEL, out, QuantFormat.Q8_0, List.of("tokenizer"), ProgressListener.NONE, CancellationToken.NONE))
                .hasMessageContaining("tokenizer").hasMessageContaining("holds no weights");
        assertThat(out).doesNotExist();
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        assertThatThrownBy(() -> QuantizedModelFolder.write(MODEL, out, QuantFormat.Q8_0, null, ProgressListener.NONE, CancellationToken.NONE))
                .hasMessageContaining(out.toString()).hasMessageContaining("exists");
        assertThat(Files.readString(out.resolve("keep.txt"))).isEqualTo("mine");
        Path m = model(Map.of("a.weight", new int[] {2, 32}));
        assertThatThrownBy(() -> QuantizedModelFolder.write(m, m.resolve("q8"), QuantFormat.Q8_0, null, ProgressListener.NONE, CancellationToken.NONE))
                .hasMessageContaining("inside the model folder");
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("out", "model");
        }
        // an empty folder may be written into
        Files.delete(out.resolve("keep.txt"));
        QuantizedModelFolder.write(m, out, QuantFormat.Q8_0, null, ProgressListener.NONE, CancellationToken.NONE);
        assertThat(out.resolve("transformer/diffusion_pytorch_model-Q8_0.gguf")).isRegularFile();
    }

    @Test
    void aHubSnapshotsLinkedFilesAreCopiedAsFiles() throws IOException {
        // a Hugging Face cache snapshot holds links to blobs: the copy holds the files themselves
        Path m = model(Map.of("a.weight", new int[] {2, 32}));
        Path blob = tmp.resolve("blobs/abc123");
        Files.createDirectories(blob.getParent());
        Files.move(m.resolve("vae/diffusion_pytorch_model.safetensors"), blob);
        Files.createSymbolicLink(m.resolve("vae/diffusion_pytorch_model.safetensors"), blob);
        Path out = tmp.resolve("out");
        QuantizedModelFolder.write(m, out, QuantFormat.Q4_0, null, ProgressListener.NONE, CancellationToken.NONE);
        Path copied = out.resolve("vae/diffusion_pytorch_model.safetensors");
        assertThat(Files.isSymbolicLink(copied)).isFalse();
        assertThat(Files.readAllBytes(copied)).isEqualTo(Files.readAllBytes(blob));
    }

    @Test
    void aCancelledRunLeavesNothing() {
        CancellationToken cancel = new CancellationToken();
        ProgressListener cancelOnFirstProgress = new ProgressListener() {
            @Override
            public void onStart(String task, long total, dev.cogvideox.progress.ProgressUnit unit) {
                if (task.startsWith("quantizing")) {
                    cancel.cancel();
                }
            }

            @Override
            public void onProgress(long done) {
            }

            @Override
            public void onEnd() {
            }
        };
        Path out = tmp.resolve("out");
        assertThatThrownBy(() -> QuantizedModelFolder.write(MODEL, out, QuantFormat.Q8_0, null, cancelOnFirstProgress, cancel))
                .isInstanceOf(java.util.concurrent.CancellationException.class);
        assertThat(tmp.toFile().list()).isEmpty();
    }
}
