package dev.cogvideox.model.transformer;

import dev.cogvideox.tensor.Attention;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;

/**
 * What the transformer's forward consults to reuse work across denoising steps (TeaCache, Pyramid Attention
 * Broadcast, in {@code dev.cogvideox.model.cache}). The denoising loop calls {@link #beginStep} before each
 * forward; the forward then asks {@link #runBlocks} once and, in every block, {@link #reusedAttention}.
 * {@link #NONE} reuses nothing: the forward is exactly the uncached one. One instance serves one generation.
 */
public interface StepCache {
    /** Reuses nothing. */
    StepCache NONE = new StepCache() {
    };

    /** Step {@code index} of {@code steps} at {@code timestep} begins (one transformer forward follows). */
    default void beginStep(int index, long timestep, int steps) {
    }

    /**
     * Before the blocks: {@code temb} is the time embedding {@code [B, time_embed_dim]} (before SiLU), {@code stream}
     * the joint [text; video] stream {@code [B, T + N, D]}. True: the blocks run and {@link #blocksDone} follows.
     * False: the blocks are skipped, and this cache has already brought {@code stream} (in place) to its output.
     */
    default boolean runBlocks(Tensor temb, Tensor stream) {
        return true;
    }

    /** After the blocks ran: {@code stream} is their output (do not keep it: it is changed further). */
    default void blocksDone(Tensor stream) {
    }

    /**
     * Block {@code block}'s attention output (after {@code to_out}, {@code [B, T + N, D]}) from an earlier step to use
     * instead of computing it, or null to compute it; a computed one is handed to {@link #attentionComputed}.
     */
    default Tensor reusedAttention(int block) {
        return null;
    }

    /** Block {@code block} computed its attention output {@code out} (this cache may keep it). */
    default void attentionComputed(int block, Tensor out) {
    }

    /**
     * Which keys block {@code block}'s attention attends, given its queries, keys and values ({@code [B, T + N, D]},
     * after RoPE), or null for all (dense attention); a selection that needs attention outputs to choose runs them on
     * {@code kernels}, the block's.
     */
    default Attention.KeySelection attentionKeys(Kernels kernels, int block, Tensor q, Tensor k, Tensor v, int heads, int textLen) {
        return null;
    }

    /** Both: {@code reuse}'s step skipping and attention reuse, {@code attention}'s key selection ({@link #NONE} when both are). */
    static StepCache both(StepCache reuse, StepCache attention) {
        if (reuse == NONE && attention == NONE) {
            return NONE;
        }
        return new StepCache() {
            @Override
            public void beginStep(int index, long timestep, int steps) {
                reuse.beginStep(index, timestep, steps);
                attention.beginStep(index, timestep, steps);
            }

            @Override
            public boolean runBlocks(Tensor temb, Tensor stream) {
                return reuse.runBlocks(temb, stream);
            }

            @Override
            public void blocksDone(Tensor stream) {
                reuse.blocksDone(stream);
            }

            @Override
            public Tensor reusedAttention(int block) {
                return reuse.reusedAttention(block);
            }

            @Override
            public void attentionComputed(int block, Tensor out) {
                reuse.attentionComputed(block, out);
            }

            @Override
            public Attention.KeySelection attentionKeys(Kernels kernels, int block, Tensor q, Tensor k, Tensor v, int heads, int textLen) {
                return attention.attentionKeys(kernels, block, q, k, v, heads, textLen);
            }
        };
    }
}
