package dev.cogvideox.cli;

import dev.cogvideox.io.video.VideoOptions;
import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriter;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.pipeline.FrameOutput;

import java.nio.file.Path;

/** A command's video output: frames written as they come, the file published whole at the end or not at all. */
final class VideoFiles {
    /** Produces the frames, handing each batch to the sink as it is finished. */
    @FunctionalInterface
    interface Producer {
        void produce(FrameOutput sink);
    }

    private VideoFiles() {
    }

    static void write(VideoOutput out, double fps, Producer producer) {
        try (VideoWriter writer = VideoWriters.open(out, VideoOptions.fps(fps))) {
            int[] size = new int[2];
            producer.produce((sample, first, batch) -> {
                size[0] = batch.dim(3);
                size[1] = batch.dim(2);
                writer.write(batch);
            });
            Path written = writer.finish();
            System.out.println("wrote " + writer.frameCount() + " frames (" + size[0] + "x" + size[1] + ") to " + written);
        }
    }
}
