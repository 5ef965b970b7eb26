package dev.cogvideox.train.data;

import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.SafetensorsWriter;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.text.PromptEncoder;
import dev.cogvideox.model.text.T5EncoderModel;
import dev.cogvideox.model.text.T5Tokenizer;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoX;
import dev.cogvideox.model.vae.DiagonalGaussianDistribution;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * VAE posteriors and prompt embeddings on disk, one safetensors file each, so that training steps never run the VAE
 * or T5. A video's entry is keyed by the file (absolute path, size, modification time), the clip shape and the VAE
 * (its config and weights' sizes and times); a caption's by its text, the sequence length and the text encoder. The
 * posterior (mean and log-variance, unscaled) is stored rather than a sample: as in diffusers' script, every step
 * draws a new sample and multiplies it by the VAE's {@code scaling_factor}.
 *
 * <p>{@link #prepare} loads the VAE only if an entry is missing, encodes, closes it; then the same for the tokenizer
 * and T5. Nothing of either is left in memory when it returns.
 */
public final class LatentCache {
    /** The folder in a dataset's folder that {@code data precompute} fills, and {@code train} reads when given no cache. */
    public static final String IN_DATASET = "latent-cache";
    private static final String SCALING_FACTOR = "scaling_factor";

    /**
     * A cached sample of one clip shape.
     *
     * @param latentShape the posterior's shape {@code [1, C, F, h, w]}
     */
    public record Entry(DataSample sample, Path latents, Path prompt, int[] latentShape) {
    }

    /** A cached sample read back: the unscaled posterior {@code [1, C, F, h, w]} and prompt embeddings {@code [1, T, D]}. */
    public record Loaded(DiagonalGaussianDistribution posterior, float scalingFactor, Tensor promptEmbeds) {
    }

    private final Path modelDir;
    private final Path dir;

    public LatentCache(Path modelDir, Path dir) {
        this.modelDir = modelDir;
        this.dir = dir;
    }

    /** The precomputed cache of the dataset {@code --data} names ({@link DatasetIndex#root}); it may not exist. */
    public static Path inDataset(Path data) {
        return DatasetIndex.root(data).resolve(IN_DATASET);
    }

    /**
     * The entries of every sample for every shape, encoding what is missing. A sample that cannot be read (unreadable,
     * too short) is reported through {@code problems} and left out of that shape's list.
     *
     * @param maxTextLength the transformer's {@code max_text_seq_length}
     */
    public List<List<Entry>> prepare(List<DataSample> samples, List<ClipShape> shapes, int maxTextLength,
                                     ProgressListener progress, Consumer<String> problems) {
        return prepare(samples, shapes, maxTextLength, progress, new CancellationToken(), problems);
    }

    /**
     * As {@link #prepare(List, List, int, ProgressListener, Consumer)}, reporting each video's VAE passes inside its
     * item and stopping at the next encoder part when {@code cancel} is set.
     */
    public List<List<Entry>> prepare(List<DataSample> samples, List<ClipShape> shapes, int maxTextLength,
                                     ProgressListener progress, CancellationToken cancel, Consumer<String> problems) {
        String vaeId = fingerprint(modelDir.resolve("vae")), textId = fingerprint(modelDir.resolve("text_encoder"));
        List<List<Entry>> perShape = new ArrayList<>();
        AutoencoderKLCogVideoX vae = null;
        try {
            // 1. video latents, VAE loaded on the first miss
            for (ClipShape shape : shapes) {
                List<Entry> entries = new ArrayList<>();
                progress.onStart("encoding videos " + shape, samples.size());
                for (int i = 0; i < samples.size(); i++) {
                    DataSample s = samples.get(i);
                    Path latents = dir.resolve("latents-" + hash(fileKey(s.video()), shape.toString(), vaeId) + ".safetensors");
                    Path prompt = dir.resolve("prompt-" + hash(s.caption(), Integer.toString(maxTextLength), textId) + ".safetensors");
                    try {
                        if (!Files.isRegularFile(latents)) {
                            vae = vae != null ? vae : AutoencoderKLCogVideoX.load(modelDir.resolve("vae"));
                            writeLatents(vae, s, shape, latents, cancel, ProgressListener.insideItemOf(progress));
                        }
                        entries.add(new Entry(s, latents, prompt, shapeOf(latents, "mean")));
                    } catch (java.util.concurrent.CancellationException e) {
                        throw e;
                    } catch (RuntimeException e) {
                        problems.accept("skipped " + s.origin() + " at " + shape + ": " + e.getMessage());
                    }
                    progress.onProgress(i + 1);
                }
                progress.onEnd();
                perShape.add(entries);
            }
        } finally {
            if (vae != null) {
                vae.close();
            }
        }
        // 2. prompt embeddings, tokenizer and T5 loaded on the first miss
        Map<Path, String> captions = new LinkedHashMap<>();
        perShape.forEach(list -> list.forEach(e -> captions.put(e.prompt(), e.sample().caption())));
        encodeCaptions(captions, maxTextLength, progress);
        return perShape;
    }

    /**
     * The prompt embeddings {@code [1, T, D]} of one caption (e.g. the empty one that caption dropout trains the
     * unconditional prediction on), from the cache or encoded and cached.
     */
    public Tensor promptEmbeds(String caption, int maxTextLength) {
        Path prompt = dir.resolve("prompt-" + hash(caption, Integer.toString(maxTextLength), fingerprint(modelDir.resolve("text_encoder"))) + ".safetensors");
        encodeCaptions(Map.of(prompt, caption), maxTextLength, ProgressListener.NONE);
        try (SafetensorsFile f = SafetensorsFile.open(prompt)) {
            return f.entry("prompt_embeds").toTensor();
        }
    }

    /** Encodes the captions whose files are missing (tokenizer and T5 loaded only then). */
    private void encodeCaptions(Map<Path, String> captions, int maxTextLength, ProgressListener progress) {
        List<Map.Entry<Path, String>> missing = captions.entrySet().stream().filter(e -> !Files.isRegularFile(e.getKey())).toList();
        if (missing.isEmpty()) {
            return;
        }
        T5Tokenizer tokenizer = T5Tokenizer.fromPretrained(modelDir.resolve("tokenizer"));
        try (T5EncoderModel t5 = T5EncoderModel.fromPretrained(modelDir.resolve("text_encoder"))) {
            PromptEncoder encoder = new PromptEncoder(tokenizer, t5, PromptEncoder.LOG_WARNING);
            progress.onStart("encoding captions", missing.size());
            for (int i = 0; i < missing.size(); i++) {
                Tensor embeds = encoder.getT5PromptEmbeds(List.of(missing.get(i).getValue()), 1, maxTextLength).embeds(); // [1, T, D]
                new SafetensorsWriter(Map.of()).add("prompt_embeds", DType.F32, embeds).write(missing.get(i).getKey());
                progress.onProgress(i + 1);
            }
            progress.onEnd();
        }
    }

    /** Reads an entry back (no model needed). */
    public static Loaded load(Entry entry) {
        try (SafetensorsFile latents = SafetensorsFile.open(entry.latents());
             SafetensorsFile prompt = SafetensorsFile.open(entry.prompt())) {
            DiagonalGaussianDistribution posterior = new DiagonalGaussianDistribution(
                    latents.entry("mean").toTensor(), latents.entry("logvar").toTensor());
            float scaling = Float.parseFloat(latents.metadata().get(SCALING_FACTOR));
            return new Loaded(posterior, scaling, prompt.entry("prompt_embeds").toTensor());
        }
    }

    private static void writeLatents(AutoencoderKLCogVideoX vae, DataSample s, ClipShape shape, Path target, CancellationToken cancel,
                                     ProgressListener progress) {
        Tensor pixels = ClipFrames.read(s, shape);                                             // [1, 3, F, H, W]
        DiagonalGaussianDistribution posterior = vae.encode(pixels, vae.defaultOptions(), RunContext.of(progress, cancel)); // [1, C, f, h, w]
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(SCALING_FACTOR, Double.toString(vae.config().scalingFactor()));
        metadata.put("video", s.video().toString());
        metadata.put("clip", shape.toString());
        new SafetensorsWriter(metadata).add("mean", DType.F32, posterior.mean()).add("logvar", DType.F32, posterior.logvar()).write(target);
    }

    private static int[] shapeOf(Path file, String tensor) {
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            return st.entry(tensor).shape();
        }
    }

    /** A file's identity: absolute path, size and modification time. */
    private static String fileKey(Path file) {
        try {
            return file.toAbsolutePath().normalize() + "|" + Files.size(file) + "|" + Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** A component's identity: its config text and the size and time of each weight file. */
    private static String fingerprint(Path component) {
        try (Stream<Path> files = Files.list(component)) {
            StringBuilder id = new StringBuilder(Files.readString(component.resolve("config.json")));
            for (Path f : files.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList()) {
                id.append('|').append(fileKey(f));
            }
            return id.toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the model component " + component + ": " + e.getMessage(), e);
        }
    }

    private static String hash(String... parts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String p : parts) {
                sha.update(p.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
