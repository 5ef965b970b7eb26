package dev.cogvideox.bench.sampling;

import dev.cogvideox.model.cache.CacheReport;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;

/**
 * The transformer's floating-point operations, counted from its shapes (a multiply-add is 2): per block
 * {@code 8 L D^2} for q, k, v and out, {@code 4 L^2 D} for the attention itself, {@code 16 L D^2} for the
 * feed-forward, with L = text + video tokens; plus the patch embedding and the output projection. Norms,
 * modulation and activations (linear in L) are left out: under 1% at every size we run.
 */
record TransformerFlops(double embed, double attention, double rest, int blocks) {

    static TransformerFlops of(CogVideoXTransformerConfig cfg, int latentFrames, int latentH, int latentW) {
        int p = cfg.patchSize();
        int pt = cfg.patchSizeT() == null ? 1 : cfg.patchSizeT();
        double n = (double) (latentFrames / pt) * (latentH / p) * (latentW / p);
        double t = cfg.maxTextSeqLength();
        double l = n + t, d = cfg.innerDim();
        double embed = 2 * n * cfg.inChannels() * p * p * pt * d + 2 * t * cfg.textEmbedDim() * d + 2 * n * d * cfg.patchOutputDim();
        return new TransformerFlops(embed, 8 * l * d * d + 4 * l * l * d, 16 * l * d * d, cfg.numLayers());
    }

    /** One full forward of one sample. */
    double pass() {
        return embed + blocks * (attention + rest);
    }

    /**
     * A generation: {@code steps} forwards of {@code batch} samples (2 with guidance), less the blocks of the steps the
     * cache skipped and the attention of the block passes it reused.
     */
    double generation(int steps, int batch, CacheReport report) {
        if (report == null) {
            return batch * steps * pass();
        }
        double total = 0;
        for (int s = 0; s < steps; s++) {
            total += embed;
            if (report.computedSteps().contains(s)) {
                // the share of block attentions computed, so that a small model's pattern scales to a model of more blocks
                total += blocks * rest + blocks * attention * report.attentionPerStep()[s] / report.blocks();
            }
        }
        return batch * total;
    }
}
