package dev.cogvideox.cli;

import dev.cogvideox.io.video.VideoOptions;
import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriter;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.model.FrameSink;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A command's video output: frames written as they come, the file published whole at the end or not at all. */
final class VideoFiles {
    /** Produces the frames, handing each batch to the sink as it is finished. */
    @FunctionalInterface
    interface Producer {
        void produce(FrameSink sink);
    }

    private VideoFiles() {
    }

    static void write(VideoOutput out, double fps, Producer producer) {
        write(List.of(out), VideoOptions.fps(fps), producer);
    }

    static void write(List<VideoOutput> outs, VideoOptions options, Producer producer) {
        write(outs, options, System.out, producer);
    }

    /** One output per sample of the batch, in order: all published at the end, or none; what was written told to {@code log}. */
    static void write(List<VideoOutput> outs, VideoOptions options, PrintStream log, Producer producer) {
        List<VideoWriter> writers = new ArrayList<>();
        try {
            for (VideoOutput out : outs) {
                writers.add(VideoWriters.open(out, options));
            }
            int[] size = new int[2];
            producer.produce((sample, first, batch) -> {
                if (sample >= writers.size()) {
                    throw new IllegalStateException("sample " + sample + " of a batch with " + writers.size() + " outputs");
                }
                size[0] = batch.dim(3);
                size[1] = batch.dim(2);
                writers.get(sample).write(batch);
            });
            List<Path> written = new ArrayList<>();
            for (VideoWriter writer : writers) {
                written.add(writer.finish());
            }
            for (int i = 0; i < writers.size(); i++) {
                log.println("wrote " + writers.get(i).frameCount() + " frames (" + size[0] + "x" + size[1] + ") to " + written.get(i));
            }
        } finally {
            for (VideoWriter writer : writers) {
                writer.close();
            }
        }
    }
}
