package dev.cogvideox.serve;

import dev.cogvideox.io.hub.HubSettings;
import dev.cogvideox.io.hub.ModelResolver;
import dev.cogvideox.model.schedule.CogVideoXDPMScheduler;
import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.pipeline.CogVideoXPipeline;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.synth.DefaultModel;

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

    /** One model: its name in the API, folder, pipeline and the defaults {@code generate} would use. */
    record Model(String name, Path dir, CogVideoXPipeline pipeline, String variant, boolean imageToVideo, boolean v15,
                 int frames, int height, int width, boolean dynamicCfg, double fps, int maxTextTokens) {
        /** Frames must be {@code step * N + 1}. */
        int frameStep() {
            return v15 ? 16 : 8;
        }
    }

    private final Map<String, Model> models = new LinkedHashMap<>();

    ModelRegistry(List<String> specs) {
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
        CogVideoXPipeline p = CogVideoXPipeline.load(dir);
        CogVideoXTransformerConfig cfg = p.transformerConfig();
        boolean v15 = cfg.patchSizeT() != null;
        boolean dpm = CogVideoXScheduler.fromPretrained(dir) instanceof CogVideoXDPMScheduler;
        models.put(name, new Model(name, dir, p, cfg.variant(), p.isImageToVideo(), v15,
                v15 ? 81 : cfg.sampleFrames(), v15 ? 768 : cfg.sampleHeight() * 8, v15 ? 1360 : cfg.sampleWidth() * 8,
                dpm, v15 ? 16 : 8, cfg.maxTextSeqLength()));
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
