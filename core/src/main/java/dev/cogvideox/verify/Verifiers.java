package dev.cogvideox.verify;

import java.util.List;

/** The registry: one verifier per implemented component. */
public final class Verifiers {
    private Verifiers() {
    }

    public static List<ComponentVerifier> all() {
        return List.of(
                new EmbeddingsVerifier(),
                new TransformerVerifier(),
                new TokenizerVerifier(),
                new TextEncoderVerifier(),
                new PromptEncodingVerifier());
    }
}
