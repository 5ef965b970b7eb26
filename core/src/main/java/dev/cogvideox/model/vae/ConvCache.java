package dev.cogvideox.model.vae;

import dev.cogvideox.tensor.Tensor;

import java.util.HashMap;
import java.util.Map;

/**
 * The reference's nested {@code conv_cache} dictionaries, flattened: for every causal conv of one encode or
 * decode stream (one sample, one tile), the last {@code kt - 1} frames of its time-padded input from the previous
 * frame batch, keyed by the conv's state_dict prefix. A new stream starts with an empty cache.
 */
public final class ConvCache {
    private final Map<String, Tensor> frames = new HashMap<>();

    /** The cached frames of {@code conv} ({@code [N, C, kt-1, H, W]}), or null in the first batch. */
    Tensor get(String conv) {
        return frames.get(conv);
    }

    void put(String conv, Tensor last) {
        frames.put(conv, last);
    }
}
