package dev.cogvideox.cli;

import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.onednn.OneDnnKernels;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.Locale;

/**
 * {@code --compute}: the arithmetic of the linear layers and the VAE's convolutions. fp32 is the pure-Java kernels (the default, and what the
 * golden cases hold to diffusers' tolerances); bf16 runs them on oneDNN's bf16 products where the CPU has bf16 dot
 * products, and falls back to fp32, saying why, where it has not or oneDNN cannot load.
 */
final class ComputeOption {
    @Option(names = "--compute", paramLabel = "MODE", defaultValue = "fp32", description = "Arithmetic of the linear layers (text encoder, "
            + "transformer) and the VAE's convolutions: fp32 (pure Java, default) or bf16 (oneDNN on the CPU's AVX512-BF16/AMX dot products, "
            + "inputs and weights rounded to bf16 as PyTorch's bf16 autocast does: about 0.4%% relative error on the transformer's output, 0.6%% "
            + "on the decoded frames; falls back to fp32 with a note where the CPU has no bf16 instructions). Attention and the norms stay fp32 "
            + "(default: ${DEFAULT-VALUE}).")
    String mode;

    /** Whether bf16 was asked for (for the run's settings line). */
    boolean bf16() {
        return switch (mode.toLowerCase(Locale.ROOT)) {
            case "fp32" -> false;
            case "bf16" -> true;
            default -> throw new IllegalArgumentException("--compute must be fp32 or bf16, not '" + mode + "'");
        };
    }

    /** The kernels for the mode; a bf16 request that cannot be met prints why on {@code log} and gets the fp32 ones. */
    Kernels kernels(PrintStream log) {
        if (!bf16()) {
            return Kernels.JAVA;
        }
        try {
            OneDnnKernels k = OneDnnKernels.load();
            log.println("compute: bf16 linear layers and convolutions on oneDNN " + k.version());
            return k;
        } catch (OneDnnKernels.Unavailable e) {
            log.println("note: --compute bf16 is not available here (" + e.getMessage() + "); computing in fp32");
            return Kernels.JAVA;
        }
    }
}
