package dev.cogvideox.verify;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The registry: one verifier per implemented component. The library's own are listed here; modules above the
 * library (e.g. {@code train}) add theirs through {@link ServiceLoader} ({@code META-INF/services}).
 */
public final class Verifiers {
    private Verifiers() {
    }

    public static List<ComponentVerifier> all() {
        List<ComponentVerifier> all = new ArrayList<>(List.of(
                new EmbeddingsVerifier(),
                new PipelineVerifier(),
                new PromptEncodingVerifier(),
                new RngVerifier(),
                new SchedulerVerifier(),
                new TextEncoderVerifier(),
                new TokenizerVerifier(),
                new TransformerVerifier(),
                new VaeVerifier()));
        ServiceLoader.load(ComponentVerifier.class).forEach(all::add);
        return all;
    }
}
