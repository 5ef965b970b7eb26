package dev.cogvideox.cli;

import dev.cogvideox.io.QuantizedModelFolder;
import dev.cogvideox.progress.ProgressBar;
import dev.cogvideox.tensor.QuantFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code cogvideox quantize}: a model folder whose text encoder and transformer weights are quantized GGUF files. */
@Command(name = "quantize", description = "Write a copy of a model folder whose transformer and text encoder weights are one GGUF file each, "
        + "their linear layers quantized as --weights quantizes them on load (generate --model OUT then needs no --weights and gives "
        + "the same frames); every other file is copied as it is.")
final class QuantizeCommand implements Callable<Integer> {
    @Mixin
    ModelSource modelSource;

    @Option(names = "--weights", required = true, paramLabel = "KIND", description = "q8_0 (ggml blocks of 32 with an fp16 scale, 8.5 bits "
            + "a weight), q4 (Q4_0, 4.5 bits) or q4_1 (5 bits). int8 per output channel has no GGUF type: use q8_0.")
    String kind;

    @Option(names = "--components", split = ",", paramLabel = "NAME", description = "Components to quantize (default: transformer,text_encoder, "
            + "those the model has).")
    List<String> components;

    @Option(names = "--out", required = true, description = "The folder to write (must not exist, or be empty).")
    Path out;

    @Override
    public Integer call() throws Exception {
        QuantFormat format = QuantFormat.parse("--weights", kind);
        Path model = modelSource.resolve();
        return Cancellable.run(30, cancel -> {
            long start = System.nanoTime();
            report(QuantizedModelFolder.write(model, out, format, components, ProgressBar.forConsole(System.err), cancel), format, start);
            return 0;
        });
    }

    private static void report(QuantizedModelFolder.Result r, QuantFormat format, long start) {
        String f = format.name().toLowerCase(Locale.ROOT);
        for (QuantizedModelFolder.Component c : r.components()) {
            System.out.printf(Locale.ROOT, "%s: %s -> %s (%s): %d matrices %s%s, %d tensors as stored%n", c.name(), ProgressBar.bytes(c.bytesBefore()),
                    ProgressBar.bytes(c.bytesAfter()), c.file().getFileName(), c.quantized(), f,
                    c.keptAsF32() > 0 ? ", " + c.keptAsF32() + " (rows not whole blocks of 32) as F32 holding their " + f + " values" : "", c.kept());
        }
        System.out.printf(Locale.ROOT, "wrote %s in %.1f s: %s -> %s (%.0f%%); load it with generate --model %s (no --weights)%n", r.out(),
                (System.nanoTime() - start) / 1e9, ProgressBar.bytes(r.bytesBefore()), ProgressBar.bytes(r.bytesAfter()),
                100.0 * r.bytesAfter() / r.bytesBefore(), r.out());
    }
}
