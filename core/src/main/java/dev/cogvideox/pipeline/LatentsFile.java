package dev.cogvideox.pipeline;

import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.SafetensorsWriter;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoXConfig;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Finite;
import dev.cogvideox.tensor.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * The denoised latents of a generation in a safetensors file, so the VAE decode can run later, in another process
 * or with other options (diffusers' {@code output_type="latent"}): one F32 tensor {@code latents [B, F, C, h, w]}
 * as {@link CogVideoXPipeline#denoise} returns it, and in the metadata the model variant and the VAE scaling factor
 * the latents were made for. Decoding with a VAE of another scaling factor (the 2b VAE against 5b latents) would give
 * wrong colours without an error, so {@link #read} refuses it.
 */
public final class LatentsFile {
    private static final String DESCRIPTION_KEY = "cogvideox.settings";
    static final String TENSOR = "latents";
    private static final String FORMAT_KEY = "format";
    private static final String FORMAT = "cogvideox-latents";
    private static final String VARIANT_KEY = "variant";
    private static final String SCALING_KEY = "vae_scaling_factor";

    private LatentsFile() {
    }

    /**
     * Fails now, naming the path, if {@link #write} could not write {@code file} later: it is a folder, or its first
     * existing ancestor is not a folder one can create files in (missing folders below it are created).
     */
    public static void checkWritable(Path file) {
        Path target = file.toAbsolutePath();
        if (Files.isDirectory(target)) {
            throw new IllegalArgumentException("latents output " + target + ": is a folder, expected a .safetensors file");
        }
        Path dir = target.getParent();
        while (dir != null && !Files.exists(dir)) {
            dir = dir.getParent();
        }
        if (dir == null || !Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new IllegalArgumentException("latents output " + target + ": cannot create files in " + dir);
        }
    }

    /** Writes {@code latents} of a model folder atomically (temporary file, then rename). */
    public static void write(Path file, Tensor latents, Path modelDir, String variant) {
        write(file, latents, modelDir, variant, null);
    }

    /** As {@link #write(Path, Tensor, Path, String)}, with how they were made ({@code description}, or null) in the metadata. */
    public static void write(Path file, Tensor latents, Path modelDir, String variant, String description) {
        if (latents.rank() != 5) {
            throw new IllegalArgumentException("latents must be [B, F, C, h, w], got " + Arrays.toString(latents.shape()));
        }
        Map<String, String> meta = new java.util.HashMap<>(Map.of(FORMAT_KEY, FORMAT, VARIANT_KEY, variant,
                SCALING_KEY, Double.toString(scalingFactor(modelDir))));
        if (description != null) {
            meta.put(DESCRIPTION_KEY, description);
        }
        new SafetensorsWriter(meta)
                .add(TENSOR, DType.F32, latents)
                .write(file);
    }

    /** How the latents of {@code file} were made, when {@code generate} stored it. */
    public static java.util.Optional<String> description(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            return java.util.Optional.ofNullable(f.metadata().get(DESCRIPTION_KEY));
        }
    }

    /**
     * The latents of {@code file}, checked against the model folder that will decode them.
     *
     * @throws IllegalArgumentException when the file is not a latents file of this format or its VAE scaling factor
     *                                  is not the model's
     * @throws dev.cogvideox.tensor.NonFiniteException when the latents hold NaN or infinite values
     */
    public static Tensor read(Path file, Path modelDir) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, String> meta = f.metadata();
            if (!FORMAT.equals(meta.get(FORMAT_KEY)) || !f.has(TENSOR)) {
                throw new IllegalArgumentException(file + ": not a latents file (no '" + TENSOR + "' tensor with metadata "
                        + FORMAT_KEY + "=" + FORMAT + "); write one with generate --output FILE.safetensors");
            }
            double made;
            try {
                made = Double.parseDouble(meta.getOrDefault(SCALING_KEY, "NaN"));
            } catch (NumberFormatException bad) {
                throw new IllegalArgumentException(file + ": metadata " + SCALING_KEY + " '" + meta.get(SCALING_KEY) + "' is not a number");
            }
            double vae = scalingFactor(modelDir);
            if (made != vae) {
                throw new IllegalArgumentException(file + ": latents of a " + meta.get(VARIANT_KEY) + " model (VAE scaling factor "
                        + made + "), but " + modelDir + "'s VAE has scaling factor " + vae + "; decode them with the model that made them");
            }
            SafetensorsFile.Entry e = f.entry(TENSOR);
            if (e.dtype() != DType.F32 || e.shape().length != 5) {
                throw new IllegalArgumentException(file + ": tensor '" + TENSOR + "' must be F32 [B, F, C, h, w], got "
                        + e.dtype() + " " + Arrays.toString(e.shape()));
            }
            return Finite.requireFinite(e.toTensor(), file.toString(), "latent",
                    "the file is damaged or was written by a run that diverged; generate the latents again");
        }
    }

    private static double scalingFactor(Path modelDir) {
        return AutoencoderKLCogVideoXConfig.read(modelDir.resolve("vae").resolve("config.json")).scalingFactor();
    }
}
