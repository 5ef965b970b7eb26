package dev.cogvideox.io;

import dev.cogvideox.model.nn.Linear;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The provider a store gives the models built from it: Java by default, another through {@code withKernels}, kept by the views over it. */
class WeightStoreKernelsTest {
    /** The kernel calls {@link #OTHER} took. */
    private static final AtomicInteger CALLS = new AtomicInteger();
    /** Another provider: every call counted and delegated to the Java kernels. */
    private static final Kernels OTHER = (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(), new Class<?>[]{Kernels.class},
            (proxy, method, args) -> {
                if (method.getDeclaringClass() == Kernels.class) {
                    CALLS.incrementAndGet();
                }
                return method.invoke(Kernels.JAVA, args);
            });

    private static WeightStore store() {
        return new TensorWeightStore(Map.of("l.weight", Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 3, 2),
                "l.bias", Tensor.of(new float[]{0.5f, -1, 2}, 3)), "test");
    }

    @Test
    void aStoreRunsOnJavaUnlessGivenAnotherProviderAndItsViewsKeepIt() {
        WeightStore base = store();
        assertThat(base.kernels()).isSameAs(Kernels.JAVA);
        assertThat(base.withKernels(Kernels.JAVA)).isSameAs(base);

        WeightStore view = base.withKernels(OTHER);
        assertThat(view.kernels()).isSameAs(OTHER);
        assertThat(view.names()).containsExactlyInAnyOrderElementsOf(base.names());
        assertThat(view.tensor("l.weight", 3, 2).data()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(view.byteSize()).isEqualTo(base.byteSize());
        assertThat(view.source()).isEqualTo("test");
        assertThat(view.withKernels(Kernels.JAVA)).isSameAs(base);

        assertThat(QuantizedWeightStore.of(view, QuantFormat.INT8).kernels()).isSameAs(OTHER);
        assertThat(new OverlayWeightStore(view, Map.of(), "nothing replaced").kernels()).isSameAs(OTHER);
    }

    @Test
    void aLayerBuiltFromTheStoreComputesOnItsProvider() {
        Linear layer = Linear.load(QuantizedWeightStore.of(store().withKernels(OTHER), QuantFormat.INT8), "l", 2, 3, true);
        assertThat(layer.kernels()).isSameAs(OTHER);
        // y = x W^T + b with W quantized per row to int8 (scale max|row| / 127): rows (1, 2), (3, 4), (5, 6)
        int before = CALLS.get();
        float[] y = layer.forward(Tensor.of(new float[]{1, -1}, 1, 2)).data();
        assertThat(CALLS.get() - before).as("one product, on the store's provider").isEqualTo(1);
        assertThat(y[0]).isCloseTo(-0.5f, org.assertj.core.api.Assertions.within(0.02f));
        assertThat(y[1]).isCloseTo(-2f, org.assertj.core.api.Assertions.within(0.04f));
        assertThat(y[2]).isCloseTo(1f, org.assertj.core.api.Assertions.within(0.06f));
    }
}
