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

    /** Writes every component of {@code variant} (transformer, VAE, T5 encoder, tokenizer, scheduler) into {@code out}. */
    public static void write(Variant variant, DType dtype, Path out, long seed) {
        write(variant, dtype, out, seed, SHARD_BYTES);
    }

    /** As {@link #write(Variant, DType, Path, long)} with shards of at most {@code shardBytes}. */
    public static void write(Variant variant, DType dtype, Path out, long seed, long shardBytes) {
        writeJson(out.resolve("model_index.json"), variant.modelIndex());
        writeJson(out.resolve("scheduler/scheduler_config.json"), variant.schedulerConfig());
        writeComponent(out.resolve("transformer"), variant.transformerConfig(), "diffusion_pytorch_model", dtype, seed, shardBytes,
                (config, store) -> new CogVideoXTransformer3DModel(CogVideoXTransformerConfig.read(config), store));
        writeComponent(out.resolve("vae"), variant.vaeConfig(), "diffusion_pytorch_model", dtype, seed, shardBytes,
                (config, store) -> new AutoencoderKLCogVideoX(AutoencoderKLCogVideoXConfig.read(config), store));
        writeTextEncoder(variant, dtype, out, seed, shardBytes);
    }

    /** Writes a transformer folder ({@code config.json} and random weights) for any transformer config, e.g. a published one with fewer blocks. */
    public static void writeTransformer(Map<String, Object> config, DType dtype, Path dir, long seed) {
        writeComponent(dir, config, "diffusion_pytorch_model", dtype, seed, SHARD_BYTES,
                (file, store) -> new CogVideoXTransformer3DModel(CogVideoXTransformerConfig.read(file), store));
    }

    /** Writes {@code text_encoder/} (T5 encoder weights, named as transformers' T5EncoderModel) and {@code tokenizer/}. */
    public static void writeTextEncoder(Variant variant, DType dtype, Path out, long seed, long shardBytes) {
        writeComponent(out.resolve("text_encoder"), variant.textEncoderConfig(), "model", dtype, seed, shardBytes,
                (config, store) -> new T5EncoderModel(T5Config.read(config), store));
        writeJson(out.resolve("tokenizer/tokenizer_config.json"), variant.tokenizerConfig());
        AtomicFile.write(out.resolve("tokenizer/spiece.model"), tmp -> Files.write(tmp, SentencePieceModelWriter.model()));
    }

    /**
     * Writes {@code config.json} and random weights for every tensor that {@code build} asks for.
     *
     * @param build builds the component from its config file and a store (the model's own loading code)
     */
    static void writeComponent(Path dir, Map<String, Object> config, String base, DType dtype, long seed, long shardBytes,
                               BiConsumer<Path, WeightStore> build) {
        Path configFile = dir.resolve("config.json");
        writeJson(configFile, config);
        List<CheckpointWriter.Item> items = new ArrayList<>();
        try (ShapeRecordingStore recorder = new ShapeRecordingStore()) {
            build.accept(configFile, recorder);
            recorder.shapes().forEach((name, shape) -> items.add(new CheckpointWriter.Item(name, dtype, shape,
                    (from, dst, n) -> WeightInit.fill(seed, name, shape, from, dst, n))));
        }
        CheckpointWriter.write(dir, base, items, shardBytes, Map.of("format", "pt"));
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
