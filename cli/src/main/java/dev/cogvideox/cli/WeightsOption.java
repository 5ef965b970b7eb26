package dev.cogvideox.cli;

import dev.cogvideox.tensor.QuantFormat;
import picocli.CommandLine.Option;

import java.util.Locale;

/** {@code --weights}: the text encoder's and the transformer's linear layers quantized on load, or kept as stored. */
final class WeightsOption {
    @Option(names = "--weights", paramLabel = "KIND", description = "Linear layers of the text encoder and the transformer quantized on load: "
            + "int8 (per output channel, half of bf16's memory), q8_0, q4 (ggml Q4_0 blocks of 32, 4.5 bits a weight) or q4_1; "
            + "stored keeps the file's dtype (default: stored).")
    String kind;

    /** The format asked for, or null to keep the stored dtype. */
    QuantFormat format() {
        return kind == null || kind.toLowerCase(Locale.ROOT).equals("stored") ? null : QuantFormat.parse("--weights", kind);
    }
}
