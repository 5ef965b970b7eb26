package dev.cogvideox.distributed;

import dev.cogvideox.model.Ranks;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.Taps;
import dev.cogvideox.pipeline.CogVideoXPipeline;
import dev.cogvideox.pipeline.GenerationRequest;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.progress.ProgressUnit;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.Tensor;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

/**
 * One rank of the parallel generation tests, started by {@code mpirun}: {@code models modes steps output timeoutSeconds
 * fault [loadTimeoutSeconds input]}. It denoises {@link #request} (input {@code embeds}, the default) or
 * {@link #promptRequest} (input {@code prompt}: rank 0 runs the text encoder) with the ranks {@code modes} asks for
 * ({@code cfg}, {@code sequence}, {@code cfg,sequence}); {@code models} is one model folder, or a comma-separated
 * list whose last entry serves the ranks beyond it. Rank 0 writes the final latents to {@code output} (float32,
 * big-endian, through a temporary file moved into place). Rank 0 creates {@code output.step-2} after step 2; with fault
 * {@code die} rank 1 then exits at once, with {@code stop} it stops itself (SIGSTOP); with {@code stop-loading} rank 1
 * stops itself before it loads anything. One kernel thread per rank.
 */
public final class GenerationRank {
    private GenerationRank() {
    }

    /** The generation of every parallel test: prompt embeddings and noise from fixed seeds, guidance 6. */
    static GenerationRequest request(CogVideoXPipeline pipeline, int steps) {
        TorchGenerator g = new TorchGenerator(21);
        int t = pipeline.transformerConfig().maxTextSeqLength(), d = pipeline.transformerConfig().textEmbedDim();
        return GenerationRequest.builder().promptEmbeds(g.randn(1, t, d), g.randn(1, t, d)).frames(9).size(48, 48).steps(steps)
                .guidance(6).build();
    }

    /** {@link #request}'s generation from a prompt (and the empty negative prompt) instead of embeddings. */
    static GenerationRequest promptRequest(int steps) {
        return GenerationRequest.builder().prompts(java.util.List.of("a red ball rolls")).frames(9).size(48, 48)
                .steps(steps).guidance(6).build();
    }

    static Tensor denoise(Path model, int steps, RunContext run) {
        return denoise(model, steps, false, run);
    }

    static Tensor denoise(Path model, int steps, boolean prompt, RunContext run) {
        CogVideoXPipeline pipeline = CogVideoXPipeline.load(model);
        return pipeline.denoise(prompt ? promptRequest(steps) : request(pipeline, steps), NoiseSource.of(new TorchGenerator(4)), run);
    }

    public static void main(String[] args) throws Exception {
        Parallel.setThreads(1);
        String[] models = args[0].split(",");
        Path output = Path.of(args[3]);
        String modes = args[1], fault = args[5];
        Duration load = Duration.ofSeconds(args.length > 6 ? Long.parseLong(args[6]) : 0);
        boolean prompt = args.length > 7 && args[7].equals("prompt");
        Path marker = Path.of(output + ".step-2");
        try (Communicator comm = Communicator.fromEnvironment(Duration.ofSeconds(Long.parseLong(args[4])), load, "run the generation again")) {
            comm.barrier();                                      // both JVMs up before the timed exchanges
            Path model = Path.of(models[Math.min(comm.rank(), models.length - 1)]);
            Ranks ranks = InferenceRanks.of(comm, modes.contains("cfg"), modes.contains("sequence"));
            if (comm.rank() == 1 && fault.equals("stop-loading")) {
                System.err.println("rank 1: fault 'stop-loading' before loading");
                stop();
            } else if (comm.rank() == 1 && !fault.equals("none")) {
                Thread.ofPlatform().daemon().start(() -> faultAt(marker, fault));
            }
            Tensor latents = denoise(model, Integer.parseInt(args[2]), prompt,
                    new RunContext(ranks.writes() ? reachedStep2(marker) : ProgressListener.NONE, new CancellationToken(), Taps.NONE, ranks));
            if (ranks.writes()) {
                Path tmp = Files.createTempFile(output.getParent(), output.getFileName().toString(), ".tmp");
                try (OutputStream o = Files.newOutputStream(tmp); DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(o))) {
                    for (float v : latents.data()) {
                        out.writeFloat(v);
                    }
                }
                Files.move(tmp, output, StandardCopyOption.ATOMIC_MOVE);
            }
            comm.finish();
        }
        System.exit(0);
    }

    private static ProgressListener reachedStep2(Path marker) {
        return new ProgressListener() {
            @Override
            public void onStart(String task, long total, ProgressUnit unit) {
            }

            @Override
            public void onProgress(long done) {
                if (done == 2) {
                    try {
                        Files.writeString(marker, "2");
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            }

            @Override
            public void onEnd() {
            }
        };
    }

    private static void faultAt(Path marker, String fault) {
        try {
            while (!Files.exists(marker)) {
                Thread.sleep(5);
            }
            System.err.println("rank 1: fault '" + fault + "' at step 2");
            if (fault.equals("die")) {
                Runtime.getRuntime().halt(7);
            }
            stop();
        } catch (Exception e) {
            Runtime.getRuntime().halt(8);
        }
    }

    /** This process stopped (SIGSTOP): alive, never arriving. */
    private static void stop() {
        try {
            new ProcessBuilder("kill", "-STOP", Long.toString(ProcessHandle.current().pid())).start().waitFor();
        } catch (Exception e) {
            Runtime.getRuntime().halt(8);
        }
    }
}
