package dev.cogvideox.pipeline;

import dev.cogvideox.io.QuantizedWeightStore;
import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.text.T5Config;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoXConfig;
import dev.cogvideox.model.vae.VaeOptions;
import dev.cogvideox.model.vae.VaeTiling;
import dev.cogvideox.progress.ProgressBar;
import dev.cogvideox.tensor.QuantFormat;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a generation will need, stage by stage, before anything is loaded. The pipeline runs the stages one after
 * the other and releases each model before the next loads, so the peak is the largest stage, not the sum.
 * Weights are memory-mapped (page cache, evictable) and the text encoder's and transformer's blocks are streamed:
 * each block's pages leave the process after use ({@link WeightStore#evict}), so a stage holds its other weights
 * plus one block at a time. Activations live on the Java heap, which is the hard limit.
 *
 * <p>Activation estimates count the tensors alive at each stage's widest point (fp32):
 * <ul>
 *   <li>text encoder: the gated feed-forward of one layer, {@code B x L x (3 d_ff + 6 d_model)} floats, plus the
 *   attention's position bias, scores and probabilities, {@code 3 x heads x L x L};</li>
 *   <li>transformer: a block's attention over [text; video] of the guidance batch, {@code 2B x tokens x 7 D}
 *   floats: the joint stream, its modulated copy, q, k, v and the attention output (six), plus one for the q/k
 *   LayerNorm's input while it writes its output (the feed-forward, in slabs of 4096 tokens, needs less). Measured
 *   on the full-size 5b (live heap after a forced full GC, every 20 s over two blocks): at most 6.7 of those 7;</li>
 *   <li>VAE decode: one frame batch (8 frames) of the first decoder level at full resolution, about 4
 *   activations of {@code 128 x 8 x H x W} plus the per-conv caches; a tile instead of the frame when tiling.</li>
 * </ul>
 */
public record MemoryPlan(List<Stage> stages) {
    /** One stage: weight bytes resident at once (mapped), activation bytes (heap). */
    public record Stage(String name, long weightBytes, long activationBytes) {
        public long total() {
            return weightBytes + activationBytes;
        }
    }

    private static final String DECODE = "VAE decode";

    public static MemoryPlan estimate(Path modelDir, CogVideoXTransformerConfig t, GenerationRequest req) {
        return estimate(modelDir, t, req, null);
    }

    /**
     * As {@link #estimate(Path, CogVideoXTransformerConfig, GenerationRequest)} with the text encoder's and the
     * transformer's linear layers quantized to {@code weights} (null: as stored): those count at their packed size,
     * all of them at once (they stay on the heap, unlike the streamed mapped blocks).
     */
    public static MemoryPlan estimate(Path modelDir, CogVideoXTransformerConfig t, GenerationRequest request, QuantFormat weights) {
        return estimate(modelDir, t, request, weights, true);
    }

    /**
     * As {@link #estimate(Path, CogVideoXTransformerConfig, GenerationRequest, QuantFormat)}; without
     * {@code encodesText} (a rank of a parallel generation other than rank 0, which runs the text encoder for all)
     * there is no text encoder stage, and the model needs no {@code text_encoder/}.
     */
    public static MemoryPlan estimate(Path modelDir, CogVideoXTransformerConfig t, GenerationRequest request, QuantFormat weights,
                                      boolean encodesText) {
        GenerationRequest req = request.isComplete() ? request : GenerationDefaults.of(modelDir).complete(request);
        List<Stage> stages = new ArrayList<>();
        int batch = req.batchSize();
        int guidance = req.guidanceScale() > 1 ? 2 : 1;
        if (req.promptEmbeds() == null && encodesText) {
            T5Config tc = T5Config.read(modelDir.resolve("text_encoder/config.json"));
            long l = req.maxSequenceLength();
            // the feed-forward, plus the attention: the position bias [H, L, L] every block shares and one prompt's
            // scores and probabilities, 2 x [H, L, L], which grow with the square of the prompt length
            long floats = (long) batch * guidance * l * (3L * tc.dFf() + 6L * tc.dModel()) + 3L * tc.numHeads() * l * l;
            stages.add(new Stage("text encoder", residentWeightBytes(modelDir.resolve("text_encoder"), "encoder.block.", weights), 4 * floats));
        }
        AutoencoderKLCogVideoXConfig vc = AutoencoderKLCogVideoXConfig.read(modelDir.resolve("vae/config.json"));
        int latentFrames = (req.numFrames() - 1) / vc.temporalCompressionRatio() + 1;
        int patch = vc.spatialCompressionRatio() * t.patchSize();                            // pixels per token side
        int tokens = req.maxSequenceLength() + latentFrames * (req.height() / patch) * (req.width() / patch);
        long d = t.innerDim();
        stages.add(new Stage("transformer", residentWeightBytes(modelDir.resolve("transformer"), "transformer_blocks.", weights), 4L * guidance * batch * tokens * 7 * d));
        stages.add(decodeStage(modelDir, req.height(), req.width(), req.tiling()));
        return new MemoryPlan(List.copyOf(stages));
    }

    /** The plan of decoding latents alone ({@code cogvideox decode}): the VAE decode stage. */
    public static MemoryPlan decode(Path modelDir, int height, int width, VaeTiling tiling) {
        return new MemoryPlan(List.of(decodeStage(modelDir, height, width, tiling)));
    }

    /** This plan without its VAE decode (a generation that stops at the latents). */
    public MemoryPlan withoutDecode() {
        return new MemoryPlan(stages.stream().filter(s -> !s.name().equals(DECODE)).toList());
    }

    private static Stage decodeStage(Path modelDir, int height, int width, VaeTiling tiling) {
        AutoencoderKLCogVideoXConfig vc = AutoencoderKLCogVideoXConfig.read(modelDir.resolve("vae/config.json"));
        // a tile and the share of it that overlaps its neighbour, which is alive while they blend
        VaeOptions o = tiling.applyTo(VaeOptions.defaults(vc));
        long pixels = tiling.enabled()
                ? (long) Math.min(height, (int) (o.tileSampleMinHeight() * (1 + o.tileOverlapFactorHeight())))
                        * Math.min(width, (int) (o.tileSampleMinWidth() * (1 + o.tileOverlapFactorWidth())))
                : (long) height * width;
        long c0 = vc.blockOutChannels()[0];
        return new Stage(DECODE, residentWeightBytes(modelDir.resolve("vae"), null, null), 4L * c0 * pixels * (4 * 8 + 2 * 2 * 6));
    }

    /** The largest stage's weights plus activations. */
    public long peakBytes() {
        return stages.stream().mapToLong(Stage::total).max().orElse(0);
    }

    public long peakActivationBytes() {
        return stages.stream().mapToLong(Stage::activationBytes).max().orElse(0);
    }

    /**
     * The memory this JVM can use: the heap the collector hands out ({@link Runtime#maxMemory}), the heap it may
     * commit ({@code -XX:MaxHeapSize}; larger under ParallelGC, whose {@code maxMemory} leaves out a survivor space)
     * and the machine's physical memory.
     */
    public record Host(long usableHeapBytes, long reservedHeapBytes, long physicalBytes) {
        /** This JVM and machine. */
        public static Host current() {
            long usable = Runtime.getRuntime().maxMemory();
            long reserved = usable;
            try {
                reserved = Math.max(usable, Long.parseLong(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                        .getVMOption("MaxHeapSize").getValue()));
            } catch (IllegalArgumentException | NullPointerException e) {
                // not HotSpot: the usable heap is the best figure there is
            }
            long ram = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
            return new Host(usable, reserved, ram);
        }
    }

    /**
     * The JVM's own resident memory besides the heap: code cache, metaspace, the collector's mark bitmaps and card
     * table, thread stacks. Measured on a full-size 5b generation (Temurin 25, ParallelGC, 11.8 GiB heap, pmap
     * during the denoising): 137 MiB of anonymous memory outside the heap and ~30 MiB of the JVM's mapped code and
     * class data; this leaves some margin.
     */
    static final long JVM_OVERHEAD_BYTES = 256L << 20;

    /**
     * What the process's resident set can reach on {@code host}: the collector lets garbage fill the heap up to
     * all it may commit before collecting it all, so the heap's share is that reserve, not the live activations;
     * the JVM's own memory and the largest stage's mapped weights come on top.
     */
    public long residentBoundBytes(Host host) {
        return host.reservedHeapBytes() + JVM_OVERHEAD_BYTES + stages.stream().mapToLong(Stage::weightBytes).max().orElse(0);
    }

    /**
     * A few lines for the user, none wider than 100 columns: each stage, the peak of live data, and the resident bound
     * on this host. When the live data is a small part of the heap (a tiny model) the bound is the heap's reserve,
     * which says little about the run: the line says so instead of printing it as the run's size.
     */
    public String describe(Host host) {
        StringBuilder sb = new StringBuilder("memory plan (stages run one at a time):\n");
        for (Stage s : stages) {
            sb.append(String.format(Locale.ROOT, "  %-13s weights %9s mapped  activations %9s heap%n", s.name(),
                    ProgressBar.bytes(s.weightBytes()), ProgressBar.bytes(s.activationBytes())));
        }
        sb.append(String.format(Locale.ROOT, "  peak          %9s live%n", ProgressBar.bytes(peakBytes())));
        long bound = residentBoundBytes(host);
        String heap = ProgressBar.bytes(host.reservedHeapBytes());
        if (peakBytes() * 16 < host.reservedHeapBytes()) {
            sb.append(String.format(Locale.ROOT, "  resident set  mostly the JVM's own: %s of live data, though garbage may grow%n"
                    + "                the heap to its maximum (heap %s); -Xmx in COGVIDEOX_JAVA_OPTS caps it",
                    ProgressBar.bytes(peakBytes()), heap));
        } else {
            sb.append(String.format(Locale.ROOT, "  resident set  up to %s (heap %s + JVM + mapped weights)", ProgressBar.bytes(bound), heap));
            if (host.usableHeapBytes() > peakActivationBytes()) {
                sb.append(String.format(Locale.ROOT, "%n                -Xmx in COGVIDEOX_JAVA_OPTS lowers it, down to the activations' %s",
                        ProgressBar.bytes(peakActivationBytes())));
            }
        }
        if (bound > host.physicalBytes()) {
            sb.append(String.format(Locale.ROOT, "%n  warning: up to %s is more than this machine's %s; a smaller -Xmx keeps the process%n"
                    + "           out of swap and the OOM killer", ProgressBar.bytes(bound), ProgressBar.bytes(host.physicalBytes())));
        }
        return sb.toString();
    }

    /**
     * Throws with the option that would fit when the activations exceed the heap or the peak exceeds the machine.
     *
     * @param vaeTiling whether the decode (if any) is tiled, for the hint
     */
    public void check(Host host, boolean vaeTiling) {
        long heapBytes = host.usableHeapBytes();
        long memoryBytes = host.physicalBytes();
        Stage worst = stages.stream().max(java.util.Comparator.comparingLong(Stage::activationBytes)).orElseThrow();
        String hint = worst.name().equals(DECODE) && !vaeTiling ? "use --vae-tiling"
                : "use fewer frames or a smaller size";
        if (peakActivationBytes() > heapBytes) {
            throw new IllegalStateException(String.format(Locale.ROOT, "the %s stage needs about %s of heap for activations, the JVM has %s: %s, or give the JVM more heap (COGVIDEOX_JAVA_OPTS=-Xmx...)",
                    worst.name(), ProgressBar.bytes(worst.activationBytes()), ProgressBar.bytes(heapBytes), hint));
        }
        if (peakBytes() > memoryBytes) {
            throw new IllegalStateException(String.format(Locale.ROOT, "this run needs about %s at its peak, the machine has %s: %s",
                    ProgressBar.bytes(peakBytes()), ProgressBar.bytes(memoryBytes), hint));
        }
    }

    /**
     * Bytes of a component's weights resident at once: all of them, or, when its blocks (names {@code prefix + i
     * + "."}) are streamed, everything outside the blocks plus the largest block; quantized matrices (held on the
     * heap, never evicted) all count, at their packed size.
     */
    private static long residentWeightBytes(Path dir, String blockPrefix, QuantFormat weights) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (WeightStore s = QuantizedWeightStore.of(WeightStore.open(dir), weights)) {
            Map<String, Long> blocks = new HashMap<>();
            long outside = 0;
            for (String n : s.names()) {
                long bytes = s.byteSize(n);
                if (blockPrefix != null && n.startsWith(blockPrefix) && !s.held(n)) {
                    blocks.merge(n.substring(0, n.indexOf('.', blockPrefix.length()) + 1), bytes, Long::sum);
                } else {
                    outside += bytes;
                }
            }
            return outside + blocks.values().stream().mapToLong(Long::longValue).max().orElse(0);
        }
    }
}
