package dev.cogvideox.io;

import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Shapes;
import dev.cogvideox.tensor.Weight;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A {@link WeightStore} with no file behind it that records every weight a model asks for, with the shape it
 * asks for, and hands out zero weights. Building a model from it yields the model's exact weight manifest from
 * its config alone, which {@code synth} turns into a random checkpoint, without a second list of names to keep
 * in sync with the model code. The zeros come from one sparse temporary file mapped once, so even a 5B
 * manifest costs no memory.
 */
public final class ShapeRecordingStore implements WeightStore {
    private static final long SCRATCH_BYTES = 4L << 30;

    private final Map<String, int[]> shapes = new LinkedHashMap<>();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment zeros;
    private final Path scratch;

    public ShapeRecordingStore() {
        try {
            scratch = Files.createTempFile("cogvideox-shapes", ".bin");
            try (RandomAccessFile f = new RandomAccessFile(scratch.toFile(), "rw")) {
                f.setLength(SCRATCH_BYTES);
                zeros = f.getChannel().map(FileChannel.MapMode.READ_ONLY, 0, SCRATCH_BYTES, arena);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the scratch file for a weight manifest", e);
        }
    }

    /** The weights requested so far, in request order. */
    public Map<String, int[]> shapes() {
        return Collections.unmodifiableMap(shapes);
    }

    @Override
    public Weight weight(String name, int... shape) {
        int[] previous = shapes.putIfAbsent(name, shape.clone());
        if (previous != null && !java.util.Arrays.equals(previous, shape)) {
            throw new IllegalStateException("weight " + name + " requested as " + Shapes.str(previous) + " and as " + Shapes.str(shape));
        }
        return new Weight(name, DType.BF16, shape, zeros.asSlice(0, Shapes.numel(Shapes.toLong(shape)) * 2));
    }

    @Override
    public Set<String> names() {
        return shapes.keySet();
    }

    @Override
    public boolean has(String name) {
        return true;
    }

    @Override
    public SafetensorsFile.Entry entry(String name) {
        throw new UnsupportedOperationException("a model built for its weight manifest must ask for every weight with its shape: " + name);
    }

    @Override
    public void evict(String prefix) {
        // nothing is mapped from a file
    }

    @Override
    public String source() {
        return "weight manifest";
    }

    @Override
    public void close() {
        arena.close();
        try {
            Files.deleteIfExists(scratch);
        } catch (IOException ignored) {
            // a leftover sparse temp file holds no data
        }
    }
}
