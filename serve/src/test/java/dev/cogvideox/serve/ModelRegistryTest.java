package dev.cogvideox.serve;

import dev.cogvideox.pipeline.CogVideoXPipeline;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The service's defaults are the pipeline's, those generate uses, computed from each model's configs. */
class ModelRegistryTest {
    @Test
    void aServedModelHasTheDefaultsGenerateUses() {
        Path v15 = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox1.5-5b");
        ModelRegistry.Model m = new ModelRegistry(List.of(v15.toString()), null, Kernels.JAVA).get(null);
        assertThat(m.defaults()).isEqualTo(CogVideoXPipeline.load(v15).defaults());
        // its 16 x 16 latent RoPE bound: 1360 x 768 scaled to fit, 128 x 64 (not the published 81 frames at 1360 x 768,
        // which this model refuses); 9 sample frames rounded up to 16N+1; the DPM scheduler's dynamic guidance; 16 fps
        assertThat(new int[]{m.defaults().frames(), m.defaults().height(), m.defaults().width()}).containsExactly(17, 64, 128);
        assertThat(m.defaults().dynamicCfg()).isTrue();
        assertThat(m.defaults().fps()).isEqualTo(16);
        assertThat(m.defaults().frameStep()).isEqualTo(16);
    }

    @Test
    void servedModelsRunWithTheServicesWeightsAndKernels() {
        Path v15 = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox1.5-5b");
        Kernels kernels = (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(), new Class<?>[] {Kernels.class},
                (proxy, method, args) -> method.invoke(Kernels.JAVA, args));   // the Java kernels under another identity
        ModelRegistry.Model m = new ModelRegistry(List.of(v15.toString()), QuantFormat.INT8, kernels).get(null);
        assertThat(m.pipeline().weights()).isEqualTo(QuantFormat.INT8);
        assertThat(m.pipeline().kernels()).isSameAs(kernels);
        assertThat(new ModelRegistry(List.of(v15.toString()), null, Kernels.JAVA).get(null).pipeline().weights()).isNull();
    }
}
