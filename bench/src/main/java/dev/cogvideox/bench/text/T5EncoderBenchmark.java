package dev.cogvideox.bench.text;

import dev.cogvideox.io.SafetensorsWriter;
import dev.cogvideox.model.text.T5EncoderModel;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Encoding throughput and peak memory of a T5-XXL-shaped encoder (d_model 4096, 64 heads x 64, d_ff 10240,
 * 24 layers, vocab 32128: CogVideoX's text encoder) for one 226-token prompt, with random BF16 weights written
 * to a temporary safetensors file and memory-mapped.
 *
 * <p>Settings: 1 warm-up forward (JIT), then {@code runs} timed forwards; the spread (min / median / max) is
 * reported, not just the best run. Correctness check inside: every output row is RMS-normalised by a unit
 * weight, so its RMS must be 1. Memory: the peak resident set ({@code VmHWM}) must not exceed the BF16 weight
 * bytes by more than 1 GiB; the weights are mapped, never copied to the heap, so run with a small heap
 * ({@code -Xmx1g}) to prove it.
 *
 * <p>Usage: {@code T5EncoderBenchmark [layers=24] [runs=3] [workdir=$TMPDIR]}; fewer layers give a quick run with
 * the same per-layer shapes.
 */
public final class T5EncoderBenchmark {
    private static final int D_MODEL = 4096, HEADS = 64, D_KV = 64, D_FF = 10240, VOCAB = 32128, TOKENS = 226;
    private static final long GIB = 1L << 30;

    private T5EncoderBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        int layers = args.length > 0 ? Integer.parseInt(args[0]) : 24;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path work = Files.createTempDirectory(args.length > 2 ? Path.of(args[2]) : Path.of(System.getProperty("java.io.tmpdir")), "t5-bench");
        try {
            // 1. Random BF16 weights on disk.
            long t0 = System.nanoTime();
            long weightBytes = writeModel(work, layers);
            System.out.printf("wrote %d layers, %.2f GiB of BF16 weights in %.1f s%n", layers, weightBytes / (double) GIB, (System.nanoTime() - t0) / 1e9);
            // 2. Warm-up and timed forwards of one 226-token prompt (ids as a padded CogVideoX prompt: text, eos, pads).
            int[][] ids = new int[1][TOKENS];
            for (int t = 0; t < 40; t++) {
                ids[0][t] = 3 + (t * 7919) % (VOCAB - 3);
            }
            ids[0][40] = 1;
            double[] seconds = new double[runs];
            try (T5EncoderModel model = T5EncoderModel.fromPretrained(work)) {
                check(model.forward(ids));
                for (int r = 0; r < runs; r++) {
                    long s = System.nanoTime();
                    Tensor out = model.forward(ids);
                    seconds[r] = (System.nanoTime() - s) / 1e9;
                    check(out);
                }
            }
            // 3. Report.
            Arrays.sort(seconds);
            double flops = 2.0 * TOKENS * layers * (4.0 * D_MODEL * HEADS * D_KV + 3.0 * D_MODEL * D_FF);
            System.out.printf("forward of %d tokens: min %.2f s, median %.2f s, max %.2f s (%d runs); %.1f tokens/s, %.1f GFLOP/s at the median%n",
                    TOKENS, seconds[0], seconds[runs / 2], seconds[runs - 1], runs, TOKENS / seconds[runs / 2], flops / seconds[runs / 2] / 1e9);
            long peak = peakResidentBytes();
            if (peak < 0) {
                System.out.println("peak resident memory: unknown (no /proc/self/status)");
            } else {
                boolean ok = peak <= weightBytes + GIB;
                System.out.printf("peak resident memory %.2f GiB, BF16 weights %.2f GiB + 1 GiB allowance: %s%n",
                        peak / (double) GIB, weightBytes / (double) GIB, ok ? "OK" : "OVER BUDGET");
                if (!ok) {
                    System.exit(1);
                }
            }
        } finally {
            try (var files = Files.list(work)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(work);
        }
    }

    /** Writes {@code config.json} and {@code model.safetensors} (BF16, uniform with the variance of N(0, 1/fan_in)); returns the weight bytes. */
    private static long writeModel(Path dir, int layers) throws IOException {
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["T5EncoderModel"], "d_model": %d, "d_kv": %d, "d_ff": %d, "num_heads": %d, "num_layers": %d,
                 "vocab_size": %d, "feed_forward_proj": "gated-gelu", "relative_attention_num_buckets": 32,
                 "relative_attention_max_distance": 128, "layer_norm_epsilon": 1e-6}
                """.formatted(D_MODEL, D_KV, D_FF, HEADS, layers, VOCAB));
        SafetensorsWriter w = new SafetensorsWriter(Map.of("format", "pt"));
        List<long[]> sizes = new ArrayList<>();
        int inner = HEADS * D_KV;
        add(w, sizes, "shared.weight", 1.0, VOCAB, D_MODEL);
        for (int i = 0; i < layers; i++) {
            String p = "encoder.block." + i + ".layer.";
            for (String proj : List.of("q", "k", "v")) {
                add(w, sizes, p + "0.SelfAttention." + proj + ".weight", 1.0 / D_MODEL, inner, D_MODEL);
            }
            add(w, sizes, p + "0.SelfAttention.o.weight", 1.0 / inner, D_MODEL, inner);
            if (i == 0) {
                add(w, sizes, p + "0.SelfAttention.relative_attention_bias.weight", 1.0, 32, HEADS);
            }
            ones(w, sizes, p + "0.layer_norm.weight");
            add(w, sizes, p + "1.DenseReluDense.wi_0.weight", 1.0 / D_MODEL, D_FF, D_MODEL);
            add(w, sizes, p + "1.DenseReluDense.wi_1.weight", 1.0 / D_MODEL, D_FF, D_MODEL);
            add(w, sizes, p + "1.DenseReluDense.wo.weight", 1.0 / D_FF, D_MODEL, D_FF);
            ones(w, sizes, p + "1.layer_norm.weight");
        }
        ones(w, sizes, "encoder.final_layer_norm.weight");
        w.write(dir.resolve("model.safetensors"));
        return sizes.stream().mapToLong(s -> Arrays.stream(s).reduce(1, (a, b) -> a * b) * 2).sum();
    }

    /** A tensor of uniform values with variance {@code variance}, each a hash of its name and index (no state, any order). */
    private static void add(SafetensorsWriter w, List<long[]> sizes, String name, double variance, int... shape) {
        float half = (float) Math.sqrt(3 * variance);
        long seed = name.hashCode() * 0x9E3779B97F4A7C15L;
        sizes.add(Arrays.stream(shape).asLongStream().toArray());
        w.add(name, DType.BF16, shape, (from, dst, count) -> {
            for (int k = 0; k < count; k++) {
                long z = seed + (from + k) * 0xBF58476D1CE4E5B9L;
                z = (z ^ (z >>> 31)) * 0x94D049BB133111EBL;
                dst[k] = half * (2f * ((z >>> 40) / (float) (1 << 24)) - 1f);
            }
        });
    }

    private static void ones(SafetensorsWriter w, List<long[]> sizes, String name) {
        sizes.add(new long[]{D_MODEL});
        w.add(name, DType.BF16, new int[]{D_MODEL}, (from, dst, count) -> Arrays.fill(dst, 0, count, 1f));
    }

    /** Every row of the final RMS norm (unit weight) has RMS 1 (up to eps); anything else means broken arithmetic. */
    private static void check(Tensor out) {
        float[] d = out.data();
        for (int row = 0; row < d.length / D_MODEL; row++) {
            double sq = 0;
            for (int i = 0; i < D_MODEL; i++) {
                sq += (double) d[row * D_MODEL + i] * d[row * D_MODEL + i];
            }
            double rms = Math.sqrt(sq / D_MODEL);
            if (!(Math.abs(rms - 1) < 1e-3)) {
                throw new IllegalStateException("output row " + row + " has RMS " + rms + ", expected 1");
            }
        }
    }

    /** {@code VmHWM} of this process in bytes, or -1 where /proc is not available. */
    private static long peakResidentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
