package dev.cogvideox.io;

import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

/**
 * {@link WeightStore#withKernels}: {@code base}'s tensors unchanged, with {@code kernels} as the provider the models
 * built from it run on. Closing the view closes {@code base}.
 */
record KernelsWeightStore(WeightStore base, Kernels kernels) implements ForwardingWeightStore {
    KernelsWeightStore {
        java.util.Objects.requireNonNull(kernels, "kernels");
    }

    @Override
    public Weight weight(String name) {
        return base.weight(name);
    }

    @Override
    public Weight weight(String name, int... shape) {
        return base.weight(name, shape);
    }

    @Override
    public Tensor tensor(String name, int... shape) {
        return base.tensor(name, shape);
    }

    @Override
    public void evict(String prefix) {
        base.evict(prefix);
    }

    @Override
    public long byteSize(String name) {
        return base.byteSize(name);
    }

    @Override
    public boolean held(String name) {
        return base.held(name);
    }

    @Override
    public long byteSize() {
        return base.byteSize();
    }

    @Override
    public WeightStore withKernels(Kernels other) {
        return base.withKernels(other);
    }
}
