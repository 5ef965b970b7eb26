package dev.cogvideox.cli;

import dev.cogvideox.distributed.Communicator;
import dev.cogvideox.model.transformer.CogVideoXBlock;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.model.transformer.Embeddings;
import dev.cogvideox.synth.RandomWeightStore;
import dev.cogvideox.io.WeightStore;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/** {@code cogvideox bench}: timings on the real model shapes, comparable with the PyTorch peer scripts. */
@Command(name = "bench", description = "Benchmarks on the real model shapes.", subcommands = {BenchCommand.Block.class})
final class BenchCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** No benchmark named: the usage on stderr and exit code 2, as for {@code cogvideox} alone. */
    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return 2;
    }

    /** One CogVideoX block with the same options, defaults and JSON output as ../shared/bench/peer_block.py. */
    @Command(name = "block", showDefaultValues = true, description = "Time one transformer block (default: CogVideoX-2b at 49 frames 720x480), "
            + "same options and JSON line as the PyTorch peer peer_block.py.")
    static final class Block implements Callable<Integer> {
        @Option(names = "--dim", defaultValue = "1920", description = "inner dim (heads x head dim)") int dim;
        @Option(names = "--heads", defaultValue = "30", description = "attention heads") int heads;
        @Option(names = "--text", defaultValue = "226", description = "text tokens") int text;
        @Option(names = "--frames", defaultValue = "13", description = "latent frames") int frames;
        @Option(names = "--height", defaultValue = "60", description = "latent height") int height;
        @Option(names = "--width", defaultValue = "90", description = "latent width") int width;
        @Option(names = "--patch", defaultValue = "2", description = "patch size") int patch;
        @Option(names = "--time-dim", defaultValue = "512", description = "time embedding dim") int timeDim;
        @Option(names = "--dtype", defaultValue = "fp32", description = "fp32 or bf16 weights") String dtype;
        @Option(names = "--repeat", defaultValue = "3", description = "timed runs") int repeat;
        @Option(names = "--part", defaultValue = "block", description = "block or attention") String part;
        @Option(names = "--parallel", defaultValue = "none", description = "none, or sequence: under mpirun, the block's tokens "
                + "split over the ranks (Ulysses); rank 0 prints") String parallel;
        @Mixin ComputeOption compute;

        @Override
        public Integer call() {
            int threads = Parallel.threads();             // --threads is the global option (default: all cores)
            DType weights = switch (dtype) {
                case "fp32" -> DType.F32;
                case "bf16" -> DType.BF16;
                default -> throw new IllegalArgumentException("--dtype must be fp32 or bf16, not " + dtype);
            };
            int hd = dim / heads;
            int v = frames * (height / patch) * (width / patch);
            long l = text + v;
            double attnFlops = 4.0 * l * l * dim;
            double linFlops = 2.0 * l * dim * dim * 4 + 2.0 * l * dim * 4 * dim * 2;
            Runnable work;
            if (!parallel.equals("none") && !(parallel.equals("sequence") && part.equals("block"))) {
                throw new IllegalArgumentException("--parallel must be none, or sequence with --part block, not " + parallel);
            }
            Communicator comm = parallel.equals("sequence") ? Communicator.fromEnvironment(Duration.ofSeconds(600), "run the benchmark again")
                    : Communicator.single();
            RandomWeightStore random = new RandomWeightStore(0, weights);
            WeightStore store = random.withKernels(compute.kernels(System.err));
            if (part.equals("attention")) {
                Tensor q = random(1, (int) l, dim);
                work = () -> store.kernels().attend(q, q, q, heads, (float) (1 / Math.sqrt(hd)), null, null);
            } else if (part.equals("block")) {
                CogVideoXTransformerConfig cfg = new CogVideoXTransformerConfig(heads, hd, 16, 16, true, 0, timeDim, null, 4096, 1,
                        true, width, height, (frames - 1) * 4 + 1, patch, null, 4, text, "gelu-approximate", "silu", true, 1e-5,
                        1.875, 1.0, true, false, true);
                CogVideoXBlock block = new CogVideoXBlock(cfg, store, 0);
                Tensor x = random(1, v, dim), enc = random(1, text, dim), temb = random(1, timeDim);
                Embeddings.RotaryTable rope = new Embeddings.RotaryTable(random(v, hd), random(v, hd));
                work = () -> block.forward(x, enc, temb, rope, comm);
            } else {
                throw new IllegalArgumentException("--part must be block or attention, not " + part);
            }
            double[] times = new double[repeat];
            for (int i = 0; i <= repeat; i++) {
                comm.barrier();                                // the ranks start each run together
                long t0 = System.nanoTime();
                work.run();
                if (i > 0) {                                   // the first run is warm-up, as in the peer
                    times[i - 1] = (System.nanoTime() - t0) / 1e9;
                }
            }
            random.close();
            Arrays.sort(times);
            double med = repeat % 2 == 1 ? times[repeat / 2] : (times[repeat / 2 - 1] + times[repeat / 2]) / 2;
            double flops = part.equals("attention") ? attnFlops : attnFlops + linFlops;
            if (comm.rank() == 0) {
                System.out.printf(Locale.ROOT, "{\"impl\": \"cogvideox-java\", \"part\": \"%s\", \"dtype\": \"%s\", \"compute\": \"%s\", \"threads\": %d, \"tokens\": %d, "
                                + "\"dim\": %d, \"heads\": %d, \"median_s\": %.4f, \"gflops\": %.1f, \"runs\": %d%s}%n",
                        part, dtype, store.kernels() == Kernels.JAVA ? "fp32" : "bf16", threads, l, dim, heads, med, flops / med / 1e9, repeat,
                        comm.size() > 1 ? ", \"sequence_ranks\": " + comm.size() : "");
            }
            comm.finish();
            return 0;
        }

        private static Tensor random(int... shape) {
            SplittableRandom r = new SplittableRandom(42);
            Tensor t = Tensor.zeros(shape);
            float[] d = t.data();
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) r.nextGaussian();
            }
            return t;
        }
    }
}
