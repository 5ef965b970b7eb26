package dev.cogvideox.io;

import dev.cogvideox.tensor.Kernels;

import java.util.Set;

/**
 * A view of another weight store ({@link #base()}): the names, entries, kernel provider and source are the base's
 * and closing the view closes the base, unless the view overrides them. The reading methods ({@code weight},
 * {@code tensor}, sizes) keep {@link WeightStore}'s defaults, which go through this view's {@link #entry} and
 * {@link #weight(String)}, so a view that changes what a tensor reads as overrides those alone.
 */
public interface ForwardingWeightStore extends WeightStore {
    WeightStore base();

    @Override
    default Set<String> names() {
        return base().names();
    }

    @Override
    default boolean has(String name) {
        return base().has(name);
    }

    @Override
    default SafetensorsFile.Entry entry(String name) {
        return base().entry(name);
    }

    @Override
    default Kernels kernels() {
        return base().kernels();
    }

    @Override
    default String source() {
        return base().source();
    }

    @Override
    default void close() {
        base().close();
    }
}
