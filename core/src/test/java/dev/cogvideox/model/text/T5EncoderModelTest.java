package dev.cogvideox.model.text;

import dev.cogvideox.io.ModelFormatException;
import dev.cogvideox.io.SafetensorsWriter;
import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.progress.RecordingListener;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.withPrecision;

/**
 * The encoder on other weight layouts and dtypes, and prompt encoding's bad input. Half-precision checks compare
 * with the same values rounded to BF16/F16 but stored as F32: widening is exact, so only kernel rounding differs.
 */
class T5EncoderModelTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");
    private static final int[][] IDS = {{56, 872, 6, 4, 14, 45, 1099, 1000, 1, 0, 0}, {374, 24, 132, 89, 52, 24, 14, 1, 0, 0, 0}};

    @Test
    void shardedHalfPrecisionWeightsMatchTheSameValuesInF32(@TempDir Path dir) throws IOException {
        for (DType dtype : List.of(DType.BF16, DType.F16)) {
            UnaryOperator<Float> round = dtype == DType.BF16
                    ? f -> Float.intBitsToFloat((DType.toBf16(f) & 0xffff) << 16)
                    : f -> Float.float16ToFloat(Float.floatToFloat16(f));
            Path half = writeCopy(dir.resolve(dtype + "-sharded"), dtype, round, 3);
            Path full = writeCopy(dir.resolve(dtype + "-as-f32"), DType.F32, round, 1);
            try (T5EncoderModel a = T5EncoderModel.fromPretrained(half); T5EncoderModel b = T5EncoderModel.fromPretrained(full)) {
                // Equal up to the kernels' own run-to-run rounding (lane reduction order can change once the JIT compiles them).
                assertThat(a.forward(IDS).data()).as(dtype.name()).containsExactly(b.forward(IDS).data(), withPrecision(2e-5f));
            }
        }
    }

    @Test
    void badWeightsAndIdsAreErrorsThatNameTheProblem(@TempDir Path dir) throws IOException {
        Path copy = writeCopy(dir.resolve("missing"), DType.F32, f -> f, 1);
        rewriteWithout(copy, "encoder.final_layer_norm.weight");
        assertThatThrownBy(() -> T5EncoderModel.fromPretrained(copy))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("encoder.final_layer_norm.weight");
        try (T5EncoderModel model = T5EncoderModel.fromPretrained(MODEL.resolve("text_encoder"))) {
            assertThatThrownBy(() -> model.forward(new int[][]{{1, 5000}}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("5000");
        }
    }

    @Test
    void promptEncodingReportsTruncationAndRepeatsRowsPerVideo() {
        T5Tokenizer tokenizer = T5Tokenizer.fromPretrained(MODEL.resolve("tokenizer"));
        List<String> truncated = new ArrayList<>();
        try (T5EncoderModel encoder = T5EncoderModel.fromPretrained(MODEL.resolve("text_encoder"))) {
            PromptEncoder prompts = new PromptEncoder(tokenizer, encoder, (prompt, dropped, max) -> truncated.add(dropped + "/" + max));
            String longPrompt = "a panda plays the guitar in a bamboo forest while the sun sets slowly";
            PromptEncoder.PromptEmbeds out = prompts.encodePrompt(List.of(longPrompt, ""), null, true, 2, 16, RunContext.NONE);
            int dropped = tokenizer.encode(longPrompt).length - 1 - 15;
            assertThat(truncated).containsExactly(dropped + "/16");
            Tensor embeds = out.prompt().embeds();
            assertThat(embeds.shape()).containsExactly(4, 16, 32);
            int row = 16 * 32;
            assertThat(java.util.Arrays.copyOfRange(embeds.data(), 0, row)).containsExactly(java.util.Arrays.copyOfRange(embeds.data(), row, 2 * row));
            // the empty prompt and the default negative prompt "" are the same text
            assertThat(java.util.Arrays.copyOfRange(embeds.data(), 2 * row, 3 * row))
                    .containsExactly(java.util.Arrays.copyOfRange(out.negative().embeds().data(), 0, row));
            assertThatThrownBy(() -> prompts.encodePrompt(List.of("a", "b"), List.of("x"), true, 1, 16, RunContext.NONE))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batch size");
            assertThatThrownBy(() -> prompts.encodePrompt(List.of(), null, true, 1, 16, RunContext.NONE)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    /**
     * One run context for prompt encoding: progress in encoder blocks over the prompts' and the negative prompts'
     * forwards, the token checked after every block, the taps handed to the text encoder (its module paths).
     */
    @Test
    void promptEncodingReportsBlocksStopsWhenCancelledAndTapsTheEncoder() {
        T5Tokenizer tokenizer = T5Tokenizer.fromPretrained(MODEL.resolve("tokenizer"));
        try (T5EncoderModel encoder = T5EncoderModel.fromPretrained(MODEL.resolve("text_encoder"))) {
            int layers = encoder.config().numLayers();
            PromptEncoder prompts = new PromptEncoder(tokenizer, encoder, PromptEncoder.LOG_WARNING);
            RecordingListener progress = new RecordingListener(null);
            List<String> tapped = new ArrayList<>();
            prompts.encodePrompt(List.of("a cat"), null, true, 1, 16, new RunContext(progress, progress.cancel, (name, t) -> tapped.add(name)));
            List<String> want = new ArrayList<>(List.of("encoding prompt " + 2 * layers));
            for (int b = 1; b <= 2 * layers; b++) {
                want.add("done " + b);
            }
            want.add("end");
            assertThat(progress.calls).containsExactlyElementsOf(want);
            assertThat(tapped).filteredOn(n -> n.equals("encoder.final_layer_norm")).hasSize(2);
            assertThat(tapped).contains("encoder.embed_tokens", "encoder.block." + (layers - 1));
            RecordingListener cancelled = new RecordingListener("done 1");
            assertThatThrownBy(() -> prompts.encodePrompt(List.of("a cat"), null, true, 1, 16, RunContext.of(cancelled, cancelled.cancel)))
                    .isInstanceOf(java.util.concurrent.CancellationException.class);
            assertThat(cancelled.calls).containsExactly("encoding prompt " + 2 * layers, "done 1", "end");
        }
    }

    /** The encoder alone reports its blocks as parts of the caller's item, as the transformer does, and stops at the token. */
    @Test
    void theForwardReportsItsBlocksAsPartsAndStopsWhenCancelled() {
        try (T5EncoderModel encoder = T5EncoderModel.fromPretrained(MODEL.resolve("text_encoder"))) {
            int layers = encoder.config().numLayers();
            int[][] ids = {{3, 7, 1, 0}};
            RecordingListener progress = new RecordingListener(null);
            encoder.forward(ids, null, RunContext.of(progress, progress.cancel));
            List<String> want = new ArrayList<>();
            for (int b = 1; b <= layers; b++) {
                want.add("part " + b + "/" + layers);
            }
            assertThat(progress.calls).containsExactlyElementsOf(want);
            RecordingListener cancelled = new RecordingListener("part 1/" + layers);
            assertThatThrownBy(() -> encoder.forward(ids, null, RunContext.of(cancelled, cancelled.cancel)))
                    .isInstanceOf(java.util.concurrent.CancellationException.class);
            assertThat(cancelled.calls).containsExactly("part 1/" + layers);
            assertThat(layers).isGreaterThan(1);
        }
    }

    /** The tiny text encoder written to {@code dir} as {@code dtype} after {@code round}, split into {@code shards} files. */
    private static Path writeCopy(Path dir, DType dtype, UnaryOperator<Float> round, int shards) throws IOException {
        Files.createDirectories(dir);
        Files.copy(MODEL.resolve("text_encoder/config.json"), dir.resolve("config.json"));
        try (WeightStore store = WeightStore.open(MODEL.resolve("text_encoder"))) {
            List<String> names = store.names().stream().sorted().toList();
            List<SafetensorsWriter> writers = new ArrayList<>();
            for (int s = 0; s < shards; s++) {
                writers.add(new SafetensorsWriter(Map.of("format", "pt")));
            }
            StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
            for (int i = 0; i < names.size(); i++) {
                Tensor t = store.weight(names.get(i)).toTensor();
                float[] d = t.data();
                for (int k = 0; k < d.length; k++) {
                    d[k] = round.apply(d[k]);
                }
                writers.get(i % shards).add(names.get(i), dtype, t);
                index.append(i == 0 ? "" : ", ").append('"').append(names.get(i)).append("\": \"").append(shardName(i % shards, shards)).append('"');
            }
            for (int s = 0; s < shards; s++) {
                writers.get(s).write(dir.resolve(shards == 1 ? "model.safetensors" : shardName(s, shards)));
            }
            if (shards > 1) {
                Files.writeString(dir.resolve("model.safetensors.index.json"), index.append("}}").toString());
            }
        }
        return dir;
    }

    private static String shardName(int s, int shards) {
        return String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
    }

    /** Rewrites a single-file model without one tensor. */
    private static void rewriteWithout(Path dir, String dropped) {
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter writer = new SafetensorsWriter(Map.of());
        try (WeightStore store = WeightStore.open(file)) {
            store.names().stream().filter(n -> !n.equals(dropped)).sorted().forEach(n -> writer.add(n, DType.F32, store.weight(n).toTensor()));
            writer.write(dir.resolve("rewritten.tmp"));
        }
        try {
            Files.move(dir.resolve("rewritten.tmp"), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
