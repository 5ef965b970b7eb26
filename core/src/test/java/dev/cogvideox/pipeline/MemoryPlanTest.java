package dev.cogvideox.pipeline;

import dev.cogvideox.model.vae.VaeTiling;
import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MemoryPlanTest {
    /** The default tile of MODEL's VAE: half its config's sample size (96x80). */
    private static final int MODEL_TILE_H = 48, MODEL_TILE_W = 40;
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");

    private static GenerationRequest request(int frames, int height, int width) {
        return GenerationRequest.builder().prompt("a lighthouse").frames(frames).size(height, width).steps(1).guidance(6)
                .maxSequenceLength(16).build();
    }

    private static long bytes(SafetensorsFile f, String prefix) {
        return f.names().stream().filter(n -> n.startsWith(prefix)).mapToLong(n -> f.entry(n).byteSize()).sum();
    }

    @Test
    void streamedBlocksCountOnceAndTheVaeWhole() {
        CogVideoXTransformerConfig cfg = CogVideoXTransformerConfig.read(MODEL.resolve("transformer/config.json"));
        MemoryPlan plan = MemoryPlan.estimate(MODEL, cfg, request(9, 64, 64));
        assertThat(plan.stages()).extracting(MemoryPlan.Stage::name).containsExactly("text encoder", "transformer", "VAE decode");
        try (SafetensorsFile t = SafetensorsFile.open(MODEL.resolve("transformer/diffusion_pytorch_model.safetensors"));
             SafetensorsFile t5 = SafetensorsFile.open(MODEL.resolve("text_encoder/model.safetensors"));
             SafetensorsFile vae = SafetensorsFile.open(MODEL.resolve("vae/diffusion_pytorch_model.safetensors"))) {
            // The fixture's two blocks have the same shapes: all weights but one block are resident at once.
            assertThat(bytes(t, "transformer_blocks.1.")).isEqualTo(bytes(t, "transformer_blocks.0.")).isPositive();
            assertThat(plan.stages().get(1).weightBytes()).isEqualTo(bytes(t, "") - bytes(t, "transformer_blocks.1."));
            // T5's block 0 also holds the relative position bias, so it is the larger of its two.
            assertThat(bytes(t5, "encoder.block.0.")).isGreaterThan(bytes(t5, "encoder.block.1.")).isGreaterThan(0);
            assertThat(plan.stages().get(0).weightBytes()).isEqualTo(bytes(t5, "") - bytes(t5, "encoder.block.1."));
            assertThat(plan.stages().get(2).weightBytes()).isEqualTo(bytes(vae, ""));
        }
        // The transformer's activations: the CFG batch of two over [16 text; 3 x 4 x 4 video] tokens, 7 widths of 4 bytes.
        assertThat(plan.stages().get(1).activationBytes()).isEqualTo(4L * 2 * (16 + 3 * 4 * 4) * 7 * cfg.innerDim());
    }

    @Test
    void refusesARunWhoseActivationsExceedTheHeapAndSaysWhatWouldFit() {
        CogVideoXTransformerConfig cfg = CogVideoXTransformerConfig.read(MODEL.resolve("transformer/config.json"));
        GenerationRequest req = request(49, 480, 720);
        MemoryPlan plan = MemoryPlan.estimate(MODEL, cfg, req);
        assertThatThrownBy(() -> plan.check(new MemoryPlan.Host(plan.peakActivationBytes() - 1, Long.MAX_VALUE, Long.MAX_VALUE), req.vaeTiling()))
                .hasMessageContaining("of heap for activations").hasMessageContaining("-Xmx");
        assertThatThrownBy(() -> plan.check(new MemoryPlan.Host(Long.MAX_VALUE, Long.MAX_VALUE, plan.peakBytes() - 1), req.vaeTiling()))
                .hasMessageContaining("the machine has").hasMessageContaining("--vae-tiling");
    }

    @Test
    void residentBoundIsTheReservedHeapPlusTheJvmPlusTheLargestStagesMappedWeights() {
        CogVideoXTransformerConfig cfg = CogVideoXTransformerConfig.read(MODEL.resolve("transformer/config.json"));
        MemoryPlan plan = MemoryPlan.estimate(MODEL, cfg, request(9, 64, 64));
        // ParallelGC's usable heap leaves out a survivor space that the process still commits
        MemoryPlan.Host host = new MemoryPlan.Host(3L << 30, 7L << 29, 64L << 30);
        long largestWeights = Math.max(plan.stages().get(0).weightBytes(), Math.max(plan.stages().get(1).weightBytes(), plan.stages().get(2).weightBytes()));
        assertThat(plan.residentBoundBytes(host)).isEqualTo((7L << 29) + MemoryPlan.JVM_OVERHEAD_BYTES + largestWeights);
        assertThat(plan.describe(host)).contains("heap 3.5 GiB").contains("-Xmx").doesNotContain("warning");
    }

    @Test
    void warnsWhenTheResidentBoundExceedsTheMachine() {
        CogVideoXTransformerConfig cfg = CogVideoXTransformerConfig.read(MODEL.resolve("transformer/config.json"));
        MemoryPlan plan = MemoryPlan.estimate(MODEL, cfg, request(9, 64, 64));
        MemoryPlan.Host host = new MemoryPlan.Host(3L << 30, 3L << 30, 3L << 30);
        assertThat(plan.describe(host)).contains("is more than this machine's 3.0 GiB");
        // a heap below the activations: the run is refused (check), so no hint to lower -Xmx
        MemoryPlan.Host small = new MemoryPlan.Host(plan.peakActivationBytes() - 1, plan.peakActivationBytes() - 1, 64L << 30);
        assertThat(plan.describe(small)).doesNotContain("lowers it");
    }

    /** A tiny model on a big heap: no heap-sized figure passed off as the run's size; no line wider than 100 columns. */
    @Test
    void aSmallRunOnABigHeapSaysItsLiveDataNotTheHeapsBound() {
        CogVideoXTransformerConfig cfg = CogVideoXTransformerConfig.read(MODEL.resolve("transformer/config.json"));
        MemoryPlan plan = MemoryPlan.estimate(MODEL, cfg, request(9, 64, 64));
        MemoryPlan.Host host = new MemoryPlan.Host(12L << 30, 12L << 30, 24L << 30);
        String text = plan.describe(host);
        assertThat(text).contains("mostly the JVM's own: " + dev.cogvideox.progress.ProgressBar.bytes(plan.peakBytes()) + " of live data")
                .doesNotContain("up to 12.");
        MemoryPlan.Host tight = new MemoryPlan.Host(plan.peakBytes() * 4, plan.peakBytes() * 4, 24L << 30);
        assertThat(plan.describe(tight)).contains("up to " + dev.cogvideox.progress.ProgressBar.bytes(plan.residentBoundBytes(tight)));
        for (MemoryPlan.Host h : new MemoryPlan.Host[]{host, tight, new MemoryPlan.Host(3L << 30, 3L << 30, 1L << 30)}) {
            assertThat(plan.describe(h).lines()).allSatisfy(line -> assertThat(line.length()).as(line).isLessThanOrEqualTo(100));
        }
    }

    @Test
    void thisJvmsReservedHeapIsAtLeastItsUsableHeap() {
        MemoryPlan.Host host = MemoryPlan.Host.current();
        assertThat(host.usableHeapBytes()).isEqualTo(Runtime.getRuntime().maxMemory());
        assertThat(host.reservedHeapBytes()).isGreaterThanOrEqualTo(host.usableHeapBytes());
        assertThat(host.physicalBytes()).isGreaterThan(host.reservedHeapBytes() / 2);
    }

    @Test
    void aLatentsRunPlansNoDecodeAndADecodeRunOnlyTheDecode() {
        CogVideoXTransformerConfig cfg = CogVideoXTransformerConfig.read(MODEL.resolve("transformer/config.json"));
        GenerationRequest req = request(49, 480, 720);
        MemoryPlan full = MemoryPlan.estimate(MODEL, cfg, req);
        assertThat(full.withoutDecode().stages()).containsExactly(full.stages().get(0), full.stages().get(1));
        assertThat(MemoryPlan.decode(MODEL, 480, 720, VaeTiling.OFF).stages()).containsExactly(full.stages().get(2));
        // tiling bounds the decode's activations by the tile, not the frame
        assertThat(MemoryPlan.decode(MODEL, 480, 720, VaeTiling.DEFAULT).peakActivationBytes()).isLessThan(full.stages().get(2).activationBytes());
        // and the chosen tile: half the tile's sides, about a quarter of the decode's activations
        long defaultTiles = MemoryPlan.decode(MODEL, 480, 720, VaeTiling.DEFAULT).peakActivationBytes();
        long smallTiles = MemoryPlan.decode(MODEL, 480, 720, VaeTiling.tiles(MODEL_TILE_H / 2, MODEL_TILE_W / 2, null, null)).peakActivationBytes();
        assertThat((double) smallTiles / defaultTiles).isBetween(0.2, 0.3);
    }
}
