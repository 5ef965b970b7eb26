package dev.cogvideox.cli;

import dev.cogvideox.io.video.VideoOptions;
import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.vae.VaeTiling;
import dev.cogvideox.pipeline.CogVideoXPipeline;
import dev.cogvideox.pipeline.LatentsFile;
import dev.cogvideox.pipeline.MemoryPlan;
import dev.cogvideox.progress.ProgressBar;
import dev.cogvideox.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code cogvideox decode}: latents written by {@code generate --output FILE.safetensors} to a video file. */
@Command(name = "decode", description = "Decode latents written by `generate --output FILE.safetensors` into a video (the VAE stage alone).")
final class DecodeCommand implements Callable<Integer> {
    @Mixin
    ModelSource modelSource;

    @Option(names = "--latents", required = true, description = "The latents file (safetensors).")
    Path latents;

    @Mixin
    VaeTilingOptions vaeTiling;

    @Option(names = "--fps", description = "Frames per second of the video file (default: 8 for 1.0 models, 16 for 1.5, as the official demo).")
    Double fps;

    @Option(names = {"-o", "--output"}, defaultValue = "output.mp4", description = "out.mp4, out.gif or a folder/ for PNG frames (default: ${DEFAULT-VALUE}).")
    String output;

    @Override
    public Integer call() throws Exception {
        VideoOutput out = VideoOutput.parse(output);
        VideoWriters.checkWritable(out);
        Path dir = modelSource.resolve();
        CogVideoXPipeline pipeline = CogVideoXPipeline.load(dir);
        Tensor z = LatentsFile.read(latents, dir);                                              // [B, F, C, h, w]
        int ratio = pipeline.defaults().spatialFactor();
        VaeTiling tiling = vaeTiling.tiling(pipeline.vaeConfig(), z.dim(3) * ratio, z.dim(4) * ratio);
        MemoryPlan plan = MemoryPlan.decode(dir, z.dim(3) * ratio, z.dim(4) * ratio, tiling);
        MemoryPlan.Host host = MemoryPlan.Host.current();
        System.err.println(plan.describe(host));
        plan.check(host, tiling.enabled());
        // a batch of latents: one video per sample, NAME-1, NAME-2, ...; each keeps the settings generate stored
        List<VideoOutput> outs = new ArrayList<>();
        for (int k = 1; k <= z.dim(0); k++) {
            VideoOutput one = z.dim(0) == 1 ? out : VideoOutput.parse(GenerateCommand.suffixed(output, "-" + k));
            VideoWriters.checkWritable(one);
            outs.add(one);
        }
        VideoOptions options = VideoOptions.fps(fps != null ? fps : pipeline.defaults().fps())
                .withDescription(LatentsFile.description(latents).orElse(null));
        return Cancellable.run(30, cancel -> {
            VideoFiles.write(outs, options,
                    sink -> pipeline.decodeLatents(z, tiling, RunContext.of(ProgressBar.forConsole(System.err), cancel), sink));
            return 0;
        });
    }
}
