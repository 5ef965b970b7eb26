package dev.cogvideox.model;

import dev.cogvideox.tensor.Tensor;

/**
 * Receives named intermediate tensors (the golden cases' {@code out.dbg.*} names) for debugging and comparison: the
 * one tap type of every model (T5 module paths, the transformer's {@code temb} and {@code blockN.hidden}, the VAE's
 * {@code decoder.mid_block}) and of the pipeline, carried by a {@link RunContext}. The tensor may be reused by the
 * caller afterwards: copy it to keep it.
 */
@FunctionalInterface
public interface Taps {
    Taps NONE = (name, t) -> {
    };

    void tap(String name, Tensor t);

    /** The same taps with {@code suffix} appended to every name (e.g. {@code ".3"} for step 3). */
    default Taps suffixed(String suffix) {
        return this == NONE ? NONE : (name, t) -> tap(name + suffix, t);
    }
}
