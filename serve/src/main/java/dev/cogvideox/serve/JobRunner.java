package dev.cogvideox.serve;

import dev.cogvideox.io.video.MediaReader;
import dev.cogvideox.io.video.RgbImage;
import dev.cogvideox.io.video.VideoFormat;
import dev.cogvideox.io.video.VideoOptions;
import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriter;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.pipeline.CogVideoXPipeline;
import dev.cogvideox.pipeline.GenerationRequest;
import dev.cogvideox.pipeline.ImagePreprocess;
import dev.cogvideox.pipeline.MemoryPlan;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.lora.LoraFile;
import dev.cogvideox.train.lora.LoraFusion;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * Runs the jobs: per model a pool of {@code perModel} threads whose queue keeps submission order, so one
 * generation at a time per model by default and the rest wait in order. A job's results go to its folder as
 * {@code video.mp4}, {@code video.gif} and {@code poster.png}, each written to a temporary file and renamed when
 * whole. Cancelling stops the pipeline at its next check (between transformer blocks); stopping the service puts
 * the running jobs back in the queue, to run again at the next start.
 */
final class JobRunner implements AutoCloseable {
    /** A job being generated: its cancel flag and live progress. */
    record Running(CancellationToken token, LiveProgress progress) {
    }

    private final JobStore store;
    private final ModelRegistry models;
    private final DataFolder data;
    private final int perModel;
    private final LongSupplier clock;
    private final BiConsumer<String, Boolean> changed;
    private final Map<String, ExecutorService> pools = new ConcurrentHashMap<>();
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private volatile boolean closing;

    /** @param changed told the id of a job whose state (true) or progress (false) changed */
    JobRunner(JobStore store, ModelRegistry models, DataFolder data, int perModel, LongSupplier clock, BiConsumer<String, Boolean> changed) {
        this.store = store;
        this.models = models;
        this.data = data;
        this.perModel = perModel;
        this.clock = clock;
        this.changed = changed;
    }

    /** Queues a stored job behind the others of its model. */
    void enqueue(Job job) {
        AtomicInteger n = new AtomicInteger();
        pools.computeIfAbsent(job.model(), m -> Executors.newFixedThreadPool(perModel, r -> {
            Thread t = new Thread(r, "generate-" + m + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        })).execute(() -> run(job.id()));
    }

    /** The running job's progress, or null. */
    Running running(String id) {
        return running.get(id);
    }

    /** Asks a running job to stop; false if it is not running here. */
    boolean cancel(String id) {
        Running r = running.get(id);
        if (r == null) {
            return false;
        }
        r.token().cancel();
        return true;
    }

    private void run(String id) {
        if (closing || !store.start(id, clock.getAsLong())) {
            return;                                   // cancelled or deleted while it waited
        }
        Job job = store.get(id).orElseThrow();
        JobSettings s = job.settings();
        CancellationToken token = new CancellationToken();
        int[] frames = new int[1];
        try {
            ModelRegistry.Model m = models.get(s.model());
            GenerationRequest req = m.pipeline().complete(request(s));
            CogVideoXPipeline pipeline = m.pipeline();
            MemoryPlan.estimate(m.dir(), pipeline.transformerConfig(), req).check(MemoryPlan.Host.current(), req.vaeTiling());
            if (s.lora() != null) {
                Path lora = data.lora(s.lora());
                LoraFile.read(lora).checkFits(pipeline.transformerConfig(), s.lora());
                double scale = s.loraScale();
                CogVideoXPipeline base = pipeline;                    // the LoRA'd transformer keeps the model's weights and kernels
                pipeline = pipeline.withTransformerLoader(t -> LoraFusion.loadTransformer(t, lora, scale, base.weights(), base.kernels()));
            }
            LiveProgress progress = new LiveProgress(clock, pipeline.outputFrames(req), () -> changed.accept(id, false));
            running.put(id, new Running(token, progress));
            changed.accept(id, true);
            generate(pipeline, req, s, data.job(id), token, progress, frames);
            store.finish(id, Job.State.SUCCEEDED, clock.getAsLong(), null, frames[0]);
        } catch (CancellationException e) {
            if (closing) {
                store.requeue(id, "the service stopped while this job ran; it runs again from the start");
            } else {
                store.finish(id, Job.State.CANCELLED, clock.getAsLong(), "cancelled while running", 0);
            }
            data.deleteJob(id);
        } catch (ApiException e) {
            store.finish(id, Job.State.FAILED, clock.getAsLong(), e.getMessage(), 0);
        } catch (RuntimeException | OutOfMemoryError e) {
            String msg = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            store.finish(id, Job.State.FAILED, clock.getAsLong(), e instanceof OutOfMemoryError ? "out of memory: " + msg
                    + " (use a smaller size, fewer frames or vaeTiling)" : msg, 0);
        } finally {
            running.remove(id);
            changed.accept(id, true);
        }
    }

    private GenerationRequest request(JobSettings s) {
        int f = s.frames(), h = s.height(), w = s.width();
        GenerationRequest.Builder b = GenerationRequest.builder().prompt(s.prompt()).negativePrompt(s.negativePrompt())
                .frames(f).size(h, w).steps(s.steps()).guidance(s.guidance()).dynamicCfg(s.dynamicCfg()).vaeTiling(s.vaeTiling());
        if (s.image() != null) {
            b.image(ImagePreprocess.fit(MediaReader.readImage(data.upload("image", s.image())), h, w, ImagePreprocess.Fit.STRETCH)
                    .reshape(1, 3, h, w));                              // as diffusers' image-to-video pipeline
        }
        if (s.video() != null) {
            b.video(SourceVideo.fit(MediaReader.readVideo(data.upload("video", s.video()), f), f, h, w, "the uploaded video"), s.strength());
        }
        return b.build();
    }

    private static void generate(CogVideoXPipeline pipeline, GenerationRequest req, JobSettings s, Path dir, CancellationToken token,
                                 LiveProgress progress, int[] frames) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        VideoOptions options = VideoOptions.fps(s.fps());
        try (VideoWriter mp4 = VideoWriters.open(new VideoOutput(dir.resolve("video.mp4"), VideoFormat.MP4), options);
             VideoWriter gif = VideoWriters.open(new VideoOutput(dir.resolve("video.gif"), VideoFormat.GIF), options)) {
            pipeline.generate(req, NoiseSource.of(new TorchGenerator(s.seed())), RunContext.of(progress, token), (sample, first, batch) -> {
                if (first == 0) {
                    writePoster(dir.resolve("poster.png"), batch);
                }
                mp4.write(batch);
                gif.write(batch);
                frames[0] += batch.dim(0);
                progress.framesDecoded(frames[0]);
            });
            mp4.finish();
            gif.finish();
        }
    }

    /** The first frame as a PNG, written beside and renamed into place. */
    private static void writePoster(Path file, Tensor batch) {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try {
            ImageIO.write(RgbImage.fromTensor(batch, 0).toBufferedImage(), "png", tmp.toFile());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Stops taking jobs; running ones stop at their next check and go back to the queue. */
    @Override
    public void close() {
        closing = true;
        running.values().forEach(r -> r.token().cancel());
        pools.values().forEach(ExecutorService::shutdownNow);
        for (ExecutorService p : pools.values()) {
            try {
                p.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
