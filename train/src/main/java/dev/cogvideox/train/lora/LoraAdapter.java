package dev.cogvideox.train.lora;

import dev.cogvideox.model.nn.Linear;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.model.LoraBranch;
import dev.cogvideox.train.model.Parameter;
import dev.cogvideox.train.model.Parameters;
import dev.cogvideox.train.model.TrainTransformer;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Attaches LoRA branches to a {@link TrainTransformer} (PEFT's {@code add_adapter} / diffusers' {@code load_lora_adapter}),
 * registering A and B as parameters named {@code transformer_blocks.<i>.attn1.<target>.lora_<A|B>.weight}, and reads
 * them back as {@link LoraWeights} for {@link LoraFile#write}.
 */
public final class LoraAdapter {
    private LoraAdapter() {
    }

    /**
     * Attaches copies of {@code lora}'s pairs. With {@code trainOnlyLora} every base parameter is frozen and only the
     * LoRA parameters take gradients ({@code transformer.requires_grad_(False)} before {@code add_adapter}).
     */
    public static void attach(TrainTransformer model, LoraWeights lora, boolean trainOnlyLora) {
        lora.checkFits(model.config(), "LoRA");
        Parameters params = model.parameters();
        if (trainOnlyLora) {
            params.setTrainable(name -> false);
        }
        for (LoraWeights.Module m : lora.modules().values()) {
            Parameter a = params.register(new Parameter(m.path() + ".lora_A.weight", m.a().copy()));
            Parameter b = params.register(new Parameter(m.path() + ".lora_B.weight", m.b().copy()));
            Linear layer = projection(model, m.block(), m.target());
            if (a.value().dim(1) != layer.inFeatures() || b.value().dim(0) != layer.outFeatures()) {
                throw new IllegalArgumentException("LoRA " + a.name() + " " + a.value() + " / " + b.name() + " " + b.value()
                        + " does not fit " + layer.weight().name() + " [" + layer.outFeatures() + ", " + layer.inFeatures() + "]");
            }
            layer.setAdapter(new LoraBranch(a, b, lora.scaling(m), layer.kernels()));
        }
    }

    /**
     * A fresh adapter as PEFT initialises it ({@code init_lora_weights=True}): A ~ U(-1/sqrt(in), 1/sqrt(in)) (Kaiming
     * uniform with a = sqrt(5)), B = 0, on every target of every block.
     */
    public static LoraWeights init(TrainTransformer model, int rank, double loraAlpha, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int d = model.config().innerDim();
        double bound = 1 / Math.sqrt(d);
        Map<String, Tensor> keys = new LinkedHashMap<>();
        for (int i = 0; i < model.blocks().size(); i++) {
            for (String target : LoraWeights.TARGETS) {
                float[] a = new float[rank * d];
                for (int j = 0; j < a.length; j++) {
                    a[j] = (float) rng.nextDouble(-bound, bound);
                }
                String key = LoraWeights.PREFIX + "transformer_blocks." + i + ".attn1." + target;
                keys.put(key + ".lora_A.weight", Tensor.of(a, rank, d));
                keys.put(key + ".lora_B.weight", Tensor.zeros(d, rank));
            }
        }
        return LoraWeights.fromKeys(keys, loraAlpha, "initial LoRA");
    }

    /** The attached pairs (current values), e.g. to save after training. */
    public static LoraWeights export(TrainTransformer model, Double loraAlpha) {
        Map<String, Tensor> keys = new LinkedHashMap<>();
        for (int i = 0; i < model.blocks().size(); i++) {
            for (String target : LoraWeights.TARGETS) {
                LoraBranch branch = branch(model, i, target);
                if (branch != null) {
                    keys.put(LoraWeights.PREFIX + branch.a().name(), branch.a().value());
                    keys.put(LoraWeights.PREFIX + branch.b().name(), branch.b().value());
                }
            }
        }
        return LoraWeights.fromKeys(keys, loraAlpha, "attached LoRA");
    }

    /** Sets the runtime multiplier of every branch ({@code attention_kwargs={"scale": s}}). */
    public static void setScale(TrainTransformer model, double scale) {
        for (int i = 0; i < model.blocks().size(); i++) {
            for (String target : LoraWeights.TARGETS) {
                LoraBranch branch = branch(model, i, target);
                if (branch != null) {
                    branch.setScale(scale);
                }
            }
        }
    }

    private static Linear projection(TrainTransformer model, int block, String target) {
        return model.blocks().get(block).attentionProjection(target);
    }

    /** The LoRA branch on a projection, or null. */
    private static LoraBranch branch(TrainTransformer model, int block, String target) {
        return projection(model, block, target).adapter() instanceof LoraBranch b ? b : null;
    }
}
