package dev.cogvideox.train.model;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.tensor.Tensor;

import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/** The parameters of a model by {@code state_dict} name, in registration order. */
public final class Parameters {
    private final Map<String, Parameter> byName = new LinkedHashMap<>();
    private final Map<Tensor, Parameter> byValue = new IdentityHashMap<>();

    /** Copies {@code name} (which must have {@code shape}) from the store to an fp32 parameter and registers it. */
    public Parameter load(WeightStore store, String name, int... shape) {
        return register(new Parameter(name, store.tensor(name, shape)));
    }

    public Parameter register(Parameter p) {
        if (byName.putIfAbsent(p.name(), p) != null) {
            throw new IllegalArgumentException("parameter " + p.name() + " registered twice");
        }
        byValue.put(p.value(), p);
        return p;
    }

    public Parameter get(String name) {
        Parameter p = byName.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no parameter " + name);
        }
        return p;
    }

    /** The parameter whose value is {@code value} itself (not an equal tensor). */
    public Parameter of(Tensor value) {
        Parameter p = byValue.get(value);
        if (p == null) {
            throw new IllegalArgumentException("no parameter holds " + value);
        }
        return p;
    }

    public boolean has(String name) {
        return byName.containsKey(name);
    }

    public Collection<Parameter> all() {
        return byName.values();
    }

    /** The parameters that take gradients. */
    public Collection<Parameter> trainable() {
        return byName.values().stream().filter(Parameter::requiresGrad).toList();
    }

    /** Freezes every parameter, then unfreezes those whose name matches. */
    public void setTrainable(Predicate<String> names) {
        byName.values().forEach(p -> p.setRequiresGrad(names.test(p.name())));
    }

    public void zeroGrad() {
        byName.values().forEach(Parameter::zeroGrad);
    }

    /** Name to value (a view, for writing checkpoints). */
    public Map<String, Tensor> values() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        byName.forEach((k, v) -> m.put(k, v.value()));
        return m;
    }
}
