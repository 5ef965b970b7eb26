package dev.cogvideox.train.lora;

import dev.cogvideox.io.OverlayWeightStore;
import dev.cogvideox.io.QuantizedWeightStore;
import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.transformer.CogVideoXTransformer3DModel;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;
import dev.cogvideox.train.model.LoraBranch;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Fuses a LoRA into the transformer weights for inference ({@code ModelMixin.fuse_lora(lora_scale=s)}, PEFT's
 * {@code merge}): {@code W' = W + (B @ A) * (lora_alpha / r * s)}, added in float32. The result is a
 * {@link WeightStore} view over the base store that the core {@code CogVideoXTransformer3DModel} loads unchanged;
 * only the adapted projection weights are replaced, by heap copies in the base weight's dtype (a bf16 model's
 * fused weight is rounded to bf16, as diffusers' in-place add on a bf16 model does; an fp32 model stays exact). A
 * block-quantized weight (a GGUF transformer's Q8_0, Q4_0) is dequantized, fused and kept in float32; it is
 * quantized again only when the caller asks for {@code weights}, like every other linear layer then.
 */
public final class LoraFusion {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private LoraFusion() {
    }

    /**
     * The inference transformer of {@code transformerDir} with the LoRA file {@code loraFile} fused at {@code scale}
     * (what {@code generate --lora FILE --lora-scale S} needs). Errors name unknown or misfit LoRA keys.
     */
    public static CogVideoXTransformer3DModel loadTransformer(Path transformerDir, Path loraFile, double scale) {
        return loadTransformer(transformerDir, loraFile, scale, null, Kernels.JAVA);
    }

    /**
     * As {@link #loadTransformer(Path, Path, double)}, the fused linear layers then quantized to {@code weights} (null: as
     * stored), the model computing on {@code kernels} (e.g. {@code generate --compute bf16}'s).
     */
    public static CogVideoXTransformer3DModel loadTransformer(Path transformerDir, Path loraFile, double scale, QuantFormat weights, Kernels kernels) {
        CogVideoXTransformerConfig cfg = CogVideoXTransformerConfig.read(transformerDir.resolve("config.json"));
        LoraWeights lora = LoraFile.read(loraFile);
        WeightStore store = WeightStore.open(transformerDir);
        try {
            return new CogVideoXTransformer3DModel(cfg, QuantizedWeightStore.of(fuse(store, cfg, lora, scale).withKernels(kernels), weights));
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /**
     * @param base  the transformer weights (owned by the returned view: closing the view closes it)
     * @param scale the user's LoRA scale ({@code --lora-scale})
     */
    public static WeightStore fuse(WeightStore base, CogVideoXTransformerConfig cfg, LoraWeights lora, double scale) {
        lora.checkFits(cfg, base.source());
        Map<String, SafetensorsFile.Entry> fused = new HashMap<>();
        for (LoraWeights.Module m : lora.modules().values()) {
            String name = m.path() + ".weight";
            SafetensorsFile.Entry entry = base.entry(name);
            // a block-quantized weight (a GGUF's Q8_0, Q4_0) is dequantized and its fused weight kept in float32
            DType dtype = entry.dtype().isFloatWeight() ? entry.dtype() : DType.F32;
            Weight w0 = base.weight(name);
            Tensor w = Ops.add(w0.toTensor(), LoraBranch.delta(base.kernels(), m.a(), m.b(), (float) (lora.scaling(m) * scale))); // [out, in]
            fused.put(name, new SafetensorsFile.Entry(entry.file() + " + LoRA", name, dtype, w0.shape(), encode(w, dtype)));
        }
        return new OverlayWeightStore(base, fused, "with fused LoRA");
    }

    /** {@code w} in {@code dtype} (F32, or F16 / BF16 rounded to nearest even), little-endian. */
    private static MemorySegment encode(Tensor w, DType dtype) {
        float[] v = w.data();
        if (dtype == DType.F32) {
            return MemorySegment.ofArray(v.clone());
        }
        MemorySegment out = MemorySegment.ofArray(new byte[v.length * 2]);
        for (int i = 0; i < v.length; i++) {
            short bits = switch (dtype) {
                case BF16 -> dev.cogvideox.tensor.DType.toBf16(v[i]);
                case F16 -> Float.floatToFloat16(v[i]);
                default -> throw new IllegalArgumentException("cannot fuse a LoRA into a " + dtype + " weight");
            };
            out.setAtIndex(U16, i, bits);
        }
        return out;
    }
}
