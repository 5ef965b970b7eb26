package dev.cogvideox.bench.sampling;

import dev.cogvideox.synth.SyntheticCheckpoint;
import dev.cogvideox.synth.Variant;
import dev.cogvideox.tensor.DType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A synthetic model with the published 2b's transformer blocks (width 1920, 30 heads, T5-width text, 226 text tokens)
 * but only a few of them, and a small model folder's VAE and scheduler: full-size per-block arithmetic at a size a
 * shared 2-core machine runs in minutes.
 *
 * <pre>java ... NarrowSynthetic OUT_DIR BLOCKS SMALL_MODEL_DIR    (e.g. ../shared/fixtures/models/tiny-cogvideox-2b)</pre>
 */
public final class NarrowSynthetic {
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        int blocks = Integer.parseInt(args[1]);
        Path small = Path.of(args[2]);
        for (String part : new String[]{"model_index.json", "scheduler", "vae"}) {
            copy(small.resolve(part), out.resolve(part));
        }
        Map<String, Object> config = Variant.COGVIDEOX_2B.transformerConfig();
        config.put("num_layers", blocks);
        SyntheticCheckpoint.writeTransformer(config, DType.BF16, out.resolve("transformer"), 0);
        System.out.println("wrote a " + blocks + "-block 2b-width transformer with " + small + "'s VAE and scheduler to " + out);
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path t = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(t);
                } else {
                    Files.createDirectories(t.getParent());
                    Files.copy(f, t);
                }
            }
        }
    }
}
