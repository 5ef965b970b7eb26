package dev.cogvideox.pipeline;

import dev.cogvideox.tensor.Tensor;

import java.nio.file.Path;
import java.util.List;

/** Turns prompts into embeddings {@code [B, T, D]}; the T5 encoder is loaded for the call and released after it. */
@FunctionalInterface
public interface PromptEncoder {
    /** @return {@code [positive, negative]}; negative is null when {@code negatives} is null */
    Tensor[] encode(List<String> prompts, List<String> negatives, int maxSequenceLength);

    /** The encoder of a model folder ({@code tokenizer/} + {@code text_encoder/}). */
    static PromptEncoder forModel(Path modelDir) {
        return (prompts, negatives, maxLen) -> {
            throw new UnsupportedOperationException("the T5 text encoder is not available yet: pass prompt embeddings");
        };
    }
}
