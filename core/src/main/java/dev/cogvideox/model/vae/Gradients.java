package dev.cogvideox.model.vae;

import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Parameter gradients of a backward pass, summed by {@code state_dict} name (the names of the weights the VAE loaded). */
public final class Gradients {
    private final Map<String, Tensor> byName = new LinkedHashMap<>();

    /** {@code grad[name] += g}. */
    public void add(String name, Tensor g) {
        Tensor have = byName.get(name);
        if (have == null) {
            byName.put(name, g);
        } else {
            Ops.addInPlace(have, g);
        }
    }

    /** The gradient of {@code name}, or null when no backward reached it. */
    public Tensor get(String name) {
        return byName.get(name);
    }

    public Map<String, Tensor> all() {
        return Collections.unmodifiableMap(byName);
    }
}
