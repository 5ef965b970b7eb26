package dev.cogvideox.synth;

import dev.cogvideox.io.AtomicFile;
import dev.cogvideox.io.CheckpointWriter;
import dev.cogvideox.io.ShapeRecordingStore;
import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.text.T5Config;
import dev.cogvideox.model.text.T5EncoderModel;
import dev.cogvideox.model.transformer.CogVideoXTransformer3DModel;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoX;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoXConfig;
import dev.cogvideox.progress.ProgressBar;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.progress.ProgressUnit;
import dev.cogvideox.tensor.DType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Writes a random-weight model folder in the diffusers layout with a variant's published configs. Each
 * component's weight list comes from building the model class itself on a {@link ShapeRecordingStore}, so the
 * names and shapes are exactly those the loader asks for; values come from {@link WeightInit}; big components
 * are sharded like the published ones.
 */
public final class SyntheticCheckpoint {
    /** Shard size of the published checkpoints' save_pretrained. */
    public static final long SHARD_BYTES = 5L * 1000 * 1000 * 1000;

    private SyntheticCheckpoint() {
    }

    /**
     * The configs of a model folder and its tokenizer's {@code spiece.model}: a published variant's ({@link #of(Variant)}) or
     * another design's (the procedural world's default model).
     */
    public record Spec(Map<String, Object> transformer, Map<String, Object> vae, Map<String, Object> textEncoder,
                       Map<String, Object> tokenizer, byte[] spieceModel, Map<String, Object> scheduler, Map<String, Object> modelIndex) {
        public static Spec of(Variant variant) {
            return new Spec(variant.transformerConfig(), variant.vaeConfig(), variant.textEncoderConfig(), variant.tokenizerConfig(),
                    SentencePieceModelWriter.model(), variant.schedulerConfig(), variant.modelIndex());
        }
    }

    /** Writes every component of {@code variant} (transformer, VAE, T5 encoder, tokenizer, scheduler) into {@code out}. */
    public static void write(Variant variant, DType dtype, Path out, long seed) {
        write(variant, dtype, out, seed, SHARD_BYTES, ProgressListener.NONE);
    }

    /** As {@link #write(Variant, DType, Path, long)} with shards of at most {@code shardBytes}. */
    public static void write(Variant variant, DType dtype, Path out, long seed, long shardBytes) {
        write(variant, dtype, out, seed, shardBytes, ProgressListener.NONE);
    }

    /**
     * As {@link #write(Variant, DType, Path, long, long)}, reporting the weight bytes written ("writing weights") to
     * {@code progress}; refuses before writing anything when the disk under {@code out} has too little free space.
     */
    public static void write(Variant variant, DType dtype, Path out, long seed, long shardBytes, ProgressListener progress) {
        write(Spec.of(variant), dtype, out, seed, shardBytes, progress);
    }

    /** As {@link #write(Variant, DType, Path, long, long, ProgressListener)} for the configs of {@code spec}. */
    public static void write(Spec spec, DType dtype, Path out, long seed, long shardBytes, ProgressListener progress) {
        List<Component> components = List.of(
                plan(out.resolve("transformer"), spec.transformer(), "diffusion_pytorch_model", dtype, seed,
                        (config, store) -> new CogVideoXTransformer3DModel(CogVideoXTransformerConfig.read(config), store)),
                plan(out.resolve("vae"), spec.vae(), "diffusion_pytorch_model", dtype, seed,
                        (config, store) -> new AutoencoderKLCogVideoX(AutoencoderKLCogVideoXConfig.read(config), store)),
                textEncoder(spec, dtype, out, seed));
        writeJson(out.resolve("model_index.json"), spec.modelIndex());
        writeJson(out.resolve("scheduler/scheduler_config.json"), spec.scheduler());
        writeAll(components, out, shardBytes, progress);
        writeTokenizer(spec, out);
    }

    /** Writes a transformer folder ({@code config.json} and random weights) for any transformer config, e.g. a published one with fewer blocks. */
    public static void writeTransformer(Map<String, Object> config, DType dtype, Path dir, long seed) {
        writeAll(List.of(plan(dir, config, "diffusion_pytorch_model", dtype, seed,
                (file, store) -> new CogVideoXTransformer3DModel(CogVideoXTransformerConfig.read(file), store))), dir, SHARD_BYTES, ProgressListener.NONE);
    }

    /** Writes {@code text_encoder/} (T5 encoder weights, named as transformers' T5EncoderModel) and {@code tokenizer/}. */
    public static void writeTextEncoder(Variant variant, DType dtype, Path out, long seed, long shardBytes) {
        writeTextEncoder(variant, dtype, out, seed, shardBytes, ProgressListener.NONE);
    }

    /** As {@link #writeTextEncoder(Variant, DType, Path, long, long)}, reporting bytes and checking free space as {@link #write}. */
    public static void writeTextEncoder(Variant variant, DType dtype, Path out, long seed, long shardBytes, ProgressListener progress) {
        Spec spec = Spec.of(variant);
        writeAll(List.of(textEncoder(spec, dtype, out, seed)), out, shardBytes, progress);
        writeTokenizer(spec, out);
    }

    private static Component textEncoder(Spec spec, DType dtype, Path out, long seed) {
        return plan(out.resolve("text_encoder"), spec.textEncoder(), "model", dtype, seed,
                (config, store) -> new T5EncoderModel(T5Config.read(config), store));
    }

    private static void writeTokenizer(Spec spec, Path out) {
        writeJson(out.resolve("tokenizer/tokenizer_config.json"), spec.tokenizer());
        AtomicFile.write(out.resolve("tokenizer/spiece.model"), tmp -> Files.write(tmp, spec.spieceModel()));
    }

    /** A component's folder, config and tensors (not yet written). */
    private record Component(Path dir, String base, List<CheckpointWriter.Item> items) {
        long bytes() {
            return items.stream().mapToLong(CheckpointWriter.Item::bytes).sum();
        }
    }

    /**
     * Writes {@code config.json} and lists a random weight for every tensor that {@code build} asks for.
     *
     * @param build builds the component from its config file and a store (the model's own loading code)
     */
    private static Component plan(Path dir, Map<String, Object> config, String base, DType dtype, long seed, BiConsumer<Path, WeightStore> build) {
        Path configFile = dir.resolve("config.json");
        writeJson(configFile, config);
        List<CheckpointWriter.Item> items = new ArrayList<>();
        try (ShapeRecordingStore recorder = new ShapeRecordingStore()) {
            build.accept(configFile, recorder);
            recorder.shapes().forEach((name, shape) -> items.add(new CheckpointWriter.Item(name, dtype, shape,
                    (from, dst, n) -> WeightInit.fill(seed, name, shape, from, dst, n))));
        }
        return new Component(dir, base, items);
    }

    private static void writeAll(List<Component> components, Path out, long shardBytes, ProgressListener progress) {
        long total = components.stream().mapToLong(Component::bytes).sum();
        checkFreeSpace(out, total);
        long[] written = {0};
        progress.onStart("writing weights", total, ProgressUnit.BYTES);
        try {
            for (Component c : components) {
                List<CheckpointWriter.Item> counted = c.items().stream().map(it -> new CheckpointWriter.Item(it.name(), it.dtype(), it.shape(),
                        (from, dst, n) -> {
                            it.source().fill(from, dst, n);
                            written[0] += (long) n * it.dtype().bytes();
                            progress.onProgress(written[0]);
                        })).toList();
                CheckpointWriter.write(c.dir(), c.base(), counted, shardBytes, Map.of("format", "pt"));
            }
        } finally {
            progress.onEnd();
        }
    }

    /** Refuses, before anything big is written, a checkpoint larger than the free space of the disk under {@code out}. */
    static void checkFreeSpace(Path out, long bytes) {
        Path existing = out.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return;
        }
        long free;
        try {
            free = Files.getFileStore(existing).getUsableSpace();
        } catch (IOException e) {
            return;   // no way to tell: the write itself reports a full disk
        }
        if (bytes > free) {
            throw new IllegalArgumentException(out + ": the weights need " + ProgressBar.bytes(bytes) + " and the disk there has "
                    + ProgressBar.bytes(free) + " free; free some space or write elsewhere");
        }
    }

    private static void writeJson(Path file, Object value) {
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + file.getParent(), e);
        }
        CheckpointWriter.writeJson(file, value);
    }
}
