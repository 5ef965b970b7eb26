package dev.cogvideox.cli;

import dev.cogvideox.progress.ProgressBar;
import dev.cogvideox.synth.SyntheticCheckpoint;
import dev.cogvideox.synth.Variant;
import dev.cogvideox.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code cogvideox synth}: a random-weight checkpoint with a published model's shapes, in the diffusers layout. */
@Command(name = "synth", description = "Write a random-weight checkpoint with the published shapes of a variant (diffusers layout, sharded like the real ones).")
final class SynthCommand implements Callable<Integer> {
    @Option(names = "--variant", required = true, description = "2b, 5b, 5b-i2v, 1.5-5b, 1.5-5b-i2v, tiny, or t5-xxl (text encoder and tokenizer only)")
    String variant;

    @Option(names = "--dtype", defaultValue = "bf16", description = "bf16, fp16 or fp32 (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--out", required = true, description = "Output folder")
    Path out;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random weights (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        DType d = switch (dtype) {
            case "bf16" -> DType.BF16;
            case "fp16" -> DType.F16;
            case "fp32" -> DType.F32;
            default -> throw new IllegalArgumentException("--dtype must be bf16, fp16 or fp32, not " + dtype);
        };
        long start = System.nanoTime();
        if (variant.equals("t5-xxl")) {
            SyntheticCheckpoint.writeTextEncoder(Variant.COGVIDEOX_5B, d, out, seed, SyntheticCheckpoint.SHARD_BYTES, ProgressBar.forConsole(System.err));
        } else {
            SyntheticCheckpoint.write(Variant.of(variant), d, out, seed, SyntheticCheckpoint.SHARD_BYTES, ProgressBar.forConsole(System.err));
        }
        System.out.printf("wrote %s (%s) to %s in %.1f s%n", variant, dtype, out, (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
