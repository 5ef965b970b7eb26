package dev.cogvideox.cli;

import dev.cogvideox.io.hub.HubSettings;
import dev.cogvideox.io.hub.ModelResolver;
import dev.cogvideox.progress.ProgressBar;
import dev.cogvideox.synth.DefaultModel;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The {@code --model}, {@code --download} and {@code --revision} options of the commands that run a model (a picocli mixin). */
final class ModelSource {
    @Option(names = "--model", description = "A diffusers model folder or a hub id (THUDM/CogVideoX-2b); for decode, the model that made the "
            + "latents. Default: the world model trained by this project (models/world-v1, docs/default-model.md) when it is there, "
            + "else a tiny random-weight model written on first use (fast, meaningless pictures: it shows the whole path works).")
    String model;

    @Option(names = "--download", description = "Download a hub model into the Hugging Face cache if it is not there.")
    boolean download;

    @Option(names = "--revision", defaultValue = "main", description = "Hub revision (default: ${DEFAULT-VALUE}).")
    String revision;

    /** The model folder: the default model, a local folder, or the hub cache's snapshot of an id. */
    Path resolve() {
        return model == null ? DefaultModel.ensure() : new ModelResolver(HubSettings.fromEnvironment())
                .resolve(model, revision, download, ProgressBar.forConsole(System.err));
    }
}
