package dev.cogvideox.io;

import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A {@link WeightStore} over fp32 heap tensors that hands them out without copying: a model built from it reads
 * these very arrays, so a trainer that updates them in place changes the model (the VAE's training).
 */
public final class TensorWeightStore implements WeightStore {
    private final Map<String, Tensor> tensors;
    private final String source;

    /** The store over {@code tensors} (kept, not copied); {@code source} names it in messages. */
    public TensorWeightStore(Map<String, Tensor> tensors, String source) {
        this.tensors = new LinkedHashMap<>(tensors);
        this.source = source;
    }

    /** Every tensor of {@code store} copied to fp32 heap tensors. */
    public static TensorWeightStore copyOf(WeightStore store) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (String name : store.names()) {
            m.put(name, store.weight(name).toTensor());
        }
        return new TensorWeightStore(m, store.source() + " (fp32 copy)");
    }

    /** The tensors by name, the live arrays. */
    public Map<String, Tensor> tensors() {
        return Collections.unmodifiableMap(tensors);
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    @Override
    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public SafetensorsFile.Entry entry(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new ModelFormatException(source + ": no tensor " + name);
        }
        return new SafetensorsFile.Entry(source, name, DType.F32, t.shape(), MemorySegment.ofArray(t.data()));
    }

    /** The tensor itself (no copy), checked against {@code shape}. */
    @Override
    public Tensor tensor(String name, int... shape) {
        weight(name, shape);
        return tensors.get(name);
    }

    @Override
    public Weight weight(String name) {
        entry(name);
        return Weight.of(name, tensors.get(name));
    }

    @Override
    public String source() {
        return source;
    }

    @Override
    public void close() {
        // heap memory: nothing to release
    }

    @Override
    public String toString() {
        return source + " (" + tensors.size() + " tensors)";
    }
}
