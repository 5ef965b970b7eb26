package dev.cogvideox.cli;

import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.model.Taps;
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

    @Option(names = "--fps", description = "Default: 8 (1.0), 16 (1.5).")
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
        int ratio = pipeline.vaeConfig().spatialCompressionRatio();
        VaeTiling tiling = vaeTiling.tiling(pipeline.vaeConfig(), z.dim(3) * ratio, z.dim(4) * ratio);
        MemoryPlan plan = MemoryPlan.decode(dir, z.dim(3) * ratio, z.dim(4) * ratio, tiling);
        MemoryPlan.Host host = MemoryPlan.Host.current();
        System.err.println(plan.describe(host));
        plan.check(host, tiling.enabled());
        boolean v15 = pipeline.transformerConfig().patchSizeT() != null;
        return Cancellable.run(30, cancel -> {
            VideoFiles.write(out, fps != null ? fps : v15 ? 16 : 8,
                    sink -> pipeline.decodeLatents(z, tiling, ProgressBar.forConsole(System.err), cancel, Taps.NONE, sink));
            return 0;
        });
    }
}
