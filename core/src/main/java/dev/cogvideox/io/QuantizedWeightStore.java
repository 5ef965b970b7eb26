package dev.cogvideox.io;

import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.Weight;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A weight store whose linear layers' weights are quantized on first use ({@code --weights int8|q4}): every
 * matrix named {@code *.weight} except the text encoder's token embeddings and relative position bias, which are
 * tables looked up rather than multiplied. Each matrix is quantized once onto the heap and kept; its mapped pages
 * are dropped right after, so the process holds the packed bytes only. Everything else reads through.
 */
public final class QuantizedWeightStore implements ForwardingWeightStore {
    private final WeightStore base;
    private final QuantFormat format;
    private final Map<String, Weight> quantized = new ConcurrentHashMap<>();

    public QuantizedWeightStore(WeightStore base, QuantFormat format) {
        this.base = base;
        this.format = format;
    }

    /** {@code store} itself for null (full precision), else the quantizing view (which then owns it). */
    public static WeightStore of(WeightStore store, QuantFormat format) {
        return format == null ? store : new QuantizedWeightStore(store, format);
    }

    /** Whether a tensor of this name and rank is a linear layer's weight, the only kind quantized. */
    public static boolean quantizable(String name, int rank) {
        return rank == 2 && name.endsWith(".weight") && !name.equals("shared.weight") && !name.endsWith("embed_tokens.weight")
                && !name.endsWith("relative_attention_bias.weight");
    }

    public QuantFormat format() {
        return format;
    }

    @Override
    public WeightStore base() {
        return base;
    }

    @Override
    public String source() {
        return base.source() + " (weights " + format.name().toLowerCase(java.util.Locale.ROOT) + ")";
    }

    @Override
    public Weight weight(String name) {
        SafetensorsFile.Entry e = base.entry(name);
        if (!quantizable(name, e.shape().length)) {
            return base.weight(name);
        }
        return quantized.computeIfAbsent(name, n -> {
            Weight q = base.weight(n).quantize(format);
            if (e.bytes().isMapped()) {
                e.bytes().unload();
            }
            return q;
        });
    }

    @Override
    public boolean held(String name) {
        return quantizable(name, base.entry(name).shape().length);
    }

    @Override
    public long byteSize(String name) {
        SafetensorsFile.Entry e = base.entry(name);
        if (!quantizable(name, e.shape().length)) {
            return e.byteSize();
        }
        int rows = e.shape()[0], cols = e.shape()[1];
        return rows * format.rowBytes(cols) + (format == QuantFormat.INT8 ? 4L * rows : 0);
    }

    @Override
    public void close() {
        quantized.clear();
        base.close();
    }
}
