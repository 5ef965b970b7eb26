package dev.cogvideox.model.vae;

import dev.cogvideox.tensor.Tensor;

/**
 * Receives named intermediate tensors (module paths as in the reference, e.g. {@code decoder.mid_block}) once per
 * call, for comparison with the golden {@code out.dbg.*} taps. The tensor may be modified later: copy it to keep it.
 */
@FunctionalInterface
public interface DebugTap {
    DebugTap NONE = (name, value) -> { };

    void tap(String name, Tensor value);
}
