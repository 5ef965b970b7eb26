package dev.cogvideox.io;

import dev.cogvideox.tensor.Weight;

import java.util.Map;

/**
 * A weight store with some of its entries replaced (fused LoRA weights, trained values): lookups of a replaced
 * name return the replacement, every other name reads through to {@code base}. The replacements must keep the
 * names of the base; closing the overlay closes the base.
 *
 * @param what how the replacement is named in messages, e.g. "with fused LoRA"
 */
public record OverlayWeightStore(WeightStore base, Map<String, SafetensorsFile.Entry> replaced, String what) implements ForwardingWeightStore {
    public OverlayWeightStore {
        for (String name : replaced.keySet()) {
            if (!base.has(name)) {
                throw new IllegalArgumentException(base.source() + ": cannot replace tensor " + name + ", which it does not hold");
            }
        }
        replaced = Map.copyOf(replaced);
    }

    @Override
    public SafetensorsFile.Entry entry(String name) {
        SafetensorsFile.Entry e = replaced.get(name);
        return e != null ? e : base.entry(name);
    }

    /** The replacement's weight, else the base's (which may be block-quantized, as a GGUF's are). */
    @Override
    public Weight weight(String name) {
        SafetensorsFile.Entry e = replaced.get(name);
        return e != null ? e.weight() : base.weight(name);
    }

    @Override
    public String source() {
        return base.source() + " (" + what + ")";
    }
}
