package dev.cogvideox.synth;

import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.WeightStore;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Shapes;
import dev.cogvideox.tensor.Weight;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * An in-memory {@link WeightStore} that creates every weight a model asks for, off-heap, in the requested
 * dtype, with {@link WeightInit} values. For benchmarks and tests of one block or a small model; memory must
 * hold all the weights until {@link #close()}.
 */
public final class RandomWeightStore implements WeightStore {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Arena arena = Arena.ofShared();
    private final long seed;
    private final DType dtype;
    private final Map<String, Weight> weights = new LinkedHashMap<>();

    public RandomWeightStore(long seed, DType dtype) {
        if (!dtype.isFloatWeight()) {
            throw new IllegalArgumentException("weights must be F32, F16 or BF16, not " + dtype);
        }
        this.seed = seed;
        this.dtype = dtype;
    }

    @Override
    public Weight weight(String name, int... shape) {
        return weights.computeIfAbsent(name, n -> create(n, shape));
    }

    private Weight create(String name, int[] shape) {
        int n = Math.toIntExact(Shapes.numel(shape));
        float[] values = new float[n];
        WeightInit.fill(seed, name, shape, 0, values, n);
        // Off-heap like a memory-mapped weight, so kernels take the same path as with a checkpoint.
        MemorySegment seg = arena.allocate((long) n * dtype.bytes(), 64);
        for (int i = 0; i < n; i++) {
            switch (dtype) {
                case F32 -> seg.setAtIndex(F32, i, values[i]);
                case BF16 -> seg.setAtIndex(U16, i, DType.toBf16(values[i]));
                default -> seg.setAtIndex(U16, i, Float.floatToFloat16(values[i]));
            }
        }
        return new Weight(name, dtype, shape, seg);
    }

    @Override
    public Set<String> names() {
        return weights.keySet();
    }

    @Override
    public boolean has(String name) {
        return true;
    }

    @Override
    public SafetensorsFile.Entry entry(String name) {
        throw new UnsupportedOperationException("random weights need a shape: ask for " + name + " with weight(name, shape)");
    }

    @Override
    public void evict(String prefix) {
        // nothing is mapped from a file
    }

    @Override
    public String source() {
        return "random weights (seed " + seed + ", " + dtype + ")";
    }

    @Override
    public void close() {
        weights.clear();
        arena.close();
    }
}
