package dev.cogvideox.model.cache;

import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.tensor.Tensor;

/**
 * Pyramid Attention Broadcast (Zhao et al., arXiv 2408.12588) with the semantics of diffusers v0.40.0's
 * {@code PyramidAttentionBroadcastHook} ({@code hooks/pyramid_attention_broadcast.py}) on CogVideoX, whose
 * {@code attn1} is a "spatial" self-attention there: each block's attention output (after {@code to_out}) is
 * recomputed when there is none yet, on the block's first call, when the timestep is outside the open range
 * {@code (low, high)}, or when the block's call count is a multiple of {@code skipRange}; otherwise the last output
 * is reused. The call count runs over every call, reused or not. Memory: one [B, T + N, D] output per block.
 */
public final class PyramidAttentionBroadcast extends CachingStep {
    private final int skipRange;
    private final long low, high;
    private final Tensor[] outputs;
    private final int[] iterations;

    public PyramidAttentionBroadcast(String setting, int skipRange, long low, long high, CogVideoXTransformerConfig cfg) {
        super(setting, cfg.numLayers());
        if (skipRange < 1) {
            throw new IllegalArgumentException("the PAB block skip range must be at least 1 (2 is diffusers' default), got " + skipRange);
        }
        if (low < 0 || high > 1000 || low >= high) {
            throw new IllegalArgumentException("the PAB timestep range must be low-high with 0 <= low < high <= 1000 (100-800 is diffusers' default), got "
                    + low + "-" + high);
        }
        this.skipRange = skipRange;
        this.low = low;
        this.high = high;
        this.outputs = new Tensor[cfg.numLayers()];
        this.iterations = new int[cfg.numLayers()];
    }

    @Override
    public boolean runBlocks(Tensor temb, Tensor stream) {
        blocksRun();
        return true;
    }

    @Override
    public Tensor reusedAttention(int block) {
        boolean inRange = low < timestep && timestep < high;
        int iteration = iterations[block];
        boolean compute = outputs[block] == null || iteration == 0 || !inRange || iteration % skipRange == 0;
        if (compute) {
            return null;                                        // computed, then handed to attentionComputed
        }
        iterations[block]++;
        return outputs[block];
    }

    @Override
    public void attentionComputed(int block, Tensor out) {
        super.attentionComputed(block, out);
        outputs[block] = out;
        iterations[block]++;
    }
}
