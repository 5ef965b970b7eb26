package dev.cogvideox.serve;

import dev.cogvideox.io.hub.HubSettings;
import dev.cogvideox.io.hub.ModelResolver;
import dev.cogvideox.pipeline.CogVideoXPipeline;
import dev.cogvideox.pipeline.GenerationDefaults;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.synth.DefaultModel;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.QuantFormat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The models the service runs, each opened once at start (configs read, the folder checked) and kept: the
 * pipeline maps a stage's weights when the stage runs and releases them after, so a model costs no memory
 * between jobs and its weights stay in the page cache.
 */
final class ModelRegistry {
    /** The name of the default tiny random-weight model. */
    static final String DEFAULT = "default";

    /** One model: its name in the API, folder, pipeline and the defaults {@code generate} uses (the pipeline's). */
    record Model(String name, Path dir, CogVideoXPipeline pipeline, String variant, boolean imageToVideo, GenerationDefaults defaults) {
    }

    private final Map<String, Model> models = new LinkedHashMap<>();
    private final QuantFormat weights;
    private final Kernels kernels;

    /** The models of {@code specs}, their linear layers quantized to {@code weights} (null: as stored), running on {@code kernels}. */
    ModelRegistry(List<String> specs, QuantFormat weights, Kernels kernels) {
        this.weights = weights;
        this.kernels = kernels;
        if (specs.isEmpty()) {
            add(DEFAULT, DefaultModel.ensure());
        }
        for (String spec : specs) {
            Path local = Path.of(spec);
            Path dir = Files.isDirectory(local) ? local : new ModelResolver(HubSettings.fromEnvironment()).resolve(spec, ModelResolver.MAIN, false, ProgressListener.NONE);
            String name = Files.isDirectory(local) ? local.toAbsolutePath().normalize().getFileName().toString() : spec;
            if (models.containsKey(name)) {
                throw new IllegalArgumentException("--model " + spec + ": a model named " + name + " is already served; give each model once");
            }
            add(name, dir);
        }
    }

    private void add(String name, Path dir) {
        CogVideoXPipeline p = CogVideoXPipeline.load(dir).withWeights(weights).withKernels(kernels);
        models.put(name, new Model(name, dir, p, p.transformerConfig().variant(), p.isImageToVideo(), p.defaults()));
    }

    /** The model named {@code name} (null = the first one). */
    Model get(String name) {
        if (name == null || name.isBlank()) {
            return models.values().iterator().next();
        }
        Model m = models.get(name);
        if (m == null) {
            throw ApiException.badRequest("model", "unknown model '" + name + "'; this service runs " + names());
        }
        return m;
    }

    /** Whether a model of this name is served (a job of a model no longer served cannot run). */
    boolean has(String name) {
        return models.containsKey(name);
    }

    List<String> names() {
        return new ArrayList<>(models.keySet());
    }

    List<Model> all() {
        return List.copyOf(models.values());
    }
}
