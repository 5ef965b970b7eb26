package dev.cogvideox.cli;

import dev.cogvideox.serve.ServeConfig;
import dev.cogvideox.serve.ServeMain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code cogvideox serve}: the generation service (JSON job API, progress events, web page) until Ctrl-C. */
@Command(name = "serve", description = "Serve a job queue over HTTP with a web page: submit generations, watch their progress, play the results.")
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "8188", description = "TCP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--host", defaultValue = ServeConfig.DEFAULT_HOST, description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only); "
            + "any other needs --token.")
    String host;

    @Option(names = "--model", description = "A model to serve (repeatable): a diffusers folder or a hub id in the Hugging Face cache. "
            + "Default: the tiny random-weight model.")
    List<String> models = new ArrayList<>();

    @Option(names = "--data", defaultValue = "cogvideox-data", description = "Folder for the job database (jobs.db), uploads, loras/ and results "
            + "(default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--token", defaultValue = "${env:COGVIDEOX_TOKEN}", description = "Bearer token every API request must carry "
            + "(default: $COGVIDEOX_TOKEN); required when --host is not a loopback address.")
    String token;

    @Option(names = "--per-model", defaultValue = "1", description = "Generations running at once per model (default: ${DEFAULT-VALUE}).")
    int perModel;

    @Option(names = "--max-queue", defaultValue = "500", description = "Jobs waiting or running at once (default: ${DEFAULT-VALUE}).")
    int maxQueue;

    @Mixin
    WeightsOption weights;

    @Mixin
    ComputeOption compute;

    @Option(names = "--max-upload-mb", defaultValue = "64", description = "Largest uploaded image or video in MiB (default: ${DEFAULT-VALUE}).")
    int maxUploadMb;

    @Override
    public Integer call() throws InterruptedException {
        ServeConfig.Limits d = ServeConfig.Limits.defaults();
        ServeConfig.Limits limits = new ServeConfig.Limits(d.maxPromptChars(), maxQueue, (long) maxUploadMb << 20, d.maxSteps(), d.maxFrames(), d.maxSide());
        ServeMain.runUntilStopped(new ServeConfig(host, port, models, data, token, perModel, limits, weights.format(), compute.kernels(System.err)));
        return 0;
    }
}
