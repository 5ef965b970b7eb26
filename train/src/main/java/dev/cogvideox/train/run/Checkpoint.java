package dev.cogvideox.train.run;

import dev.cogvideox.io.AtomicFile;
import dev.cogvideox.io.PartialFiles;
import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.SafetensorsWriter;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.lora.LoraFile;
import dev.cogvideox.train.lora.LoraWeights;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A checkpoint folder {@code checkpoint-<step>} (diffusers' naming) holding, all float32 so a resume is exact:
 * <ul>
 *   <li>{@code pytorch_lora_weights.safetensors}: the LoRA in the diffusers format (LoRA runs), or
 *       {@code trainable_weights.safetensors}: every trained parameter by its diffusers name (full runs);</li>
 *   <li>{@code optimizer.safetensors}: AdamW's moments ({@code <parameter>.exp_avg}, {@code .exp_avg_sq});</li>
 *   <li>{@code trainer_state.json}: the {@link TrainState} (step, data position, timestep draws, settings).</li>
 * </ul>
 * The folder is written under a temporary name and renamed into place, so a checkpoint is whole or absent.
 */
final class Checkpoint {
    static final String STATE = "trainer_state.json";
    static final String OPTIMIZER = "optimizer.safetensors";
    static final String FULL_WEIGHTS = "trainable_weights.safetensors";
    private static final String PREFIX = "checkpoint-";

    private Checkpoint() {
    }

    /** What a checkpoint holds: the LoRA (or null) or the full weights (or null), the optimizer moments and the state. */
    record Content(LoraWeights lora, Map<String, Tensor> weights, Map<String, Tensor> optimizer, TrainState state) {
    }

    static Path write(Path outputDir, Content c) {
        Path target = outputDir.resolve(PREFIX + c.state().step());
        try {
            Files.createDirectories(outputDir);
            Path tmp = PartialFiles.createFolder(target.toAbsolutePath());
            AtomicFile.makeOrdinary(tmp);
            if (c.lora() != null) {
                LoraFile.write(tmp.resolve(LoraFile.WEIGHT_NAME), c.lora());
            } else {
                tensors(c.weights()).write(tmp.resolve(FULL_WEIGHTS));
            }
            tensors(c.optimizer()).write(tmp.resolve(OPTIMIZER));
            c.state().write(tmp.resolve(STATE));
            if (Files.exists(target)) {
                deleteTree(target);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot write the checkpoint: " + e.getMessage(), e);
        }
    }

    /** Reads a checkpoint folder, or the latest checkpoint of an output folder. */
    static Content read(Path path) {
        Path dir = resolve(path);
        TrainState state = TrainState.read(dir.resolve(STATE));
        Path lora = dir.resolve(LoraFile.WEIGHT_NAME);
        return new Content(Files.isRegularFile(lora) ? LoraFile.read(lora) : null,
                Files.isRegularFile(lora) ? null : tensors(dir.resolve(FULL_WEIGHTS)), tensors(dir.resolve(OPTIMIZER)), state);
    }

    /** {@code path} itself when it holds a {@value #STATE}, else its {@code checkpoint-<step>} with the largest step. */
    static Path resolve(Path path) {
        if (Files.isRegularFile(path.resolve(STATE))) {
            return path;
        }
        if (Files.isDirectory(path)) {
            try (Stream<Path> children = Files.list(path)) {
                Path latest = children.filter(p -> p.getFileName().toString().matches(PREFIX + "\\d+") && Files.isRegularFile(p.resolve(STATE)))
                        .max(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString().substring(PREFIX.length()))))
                        .orElse(null);
                if (latest != null) {
                    return latest;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("--resume " + path + ": cannot list: " + e.getMessage(), e);
            }
        }
        throw new IllegalArgumentException("--resume " + path + ": not a checkpoint (no " + STATE + ") and no " + PREFIX + "<step> folder in it");
    }

    /**
     * Deletes the oldest {@code checkpoint-<step>} folders of {@code outputDir} so that the newest {@code keep} remain
     * (diffusers' {@code checkpoints_total_limit}); returns the deleted folders.
     */
    static List<Path> prune(Path outputDir, int keep) {
        List<Path> all;
        try (Stream<Path> children = Files.list(outputDir)) {
            all = children.filter(p -> p.getFileName().toString().matches(PREFIX + "\\d+") && Files.isDirectory(p))
                    .sorted(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString().substring(PREFIX.length()))))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(outputDir + ": cannot list its checkpoints: " + e.getMessage(), e);
        }
        List<Path> old = all.subList(0, Math.max(0, all.size() - keep));
        for (Path dir : old) {
            try {
                deleteTree(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete the old checkpoint " + dir + ": " + e.getMessage(), e);
            }
        }
        return old;
    }

    private static SafetensorsWriter tensors(Map<String, Tensor> tensors) {
        SafetensorsWriter w = new SafetensorsWriter(Map.of("format", "pt"));
        tensors.forEach((name, t) -> w.add(name, DType.F32, t));
        return w;
    }

    private static Map<String, Tensor> tensors(Path file) {
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (String name : st.names()) {
                out.put(name, st.entry(name).toTensor());
            }
            return out;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
