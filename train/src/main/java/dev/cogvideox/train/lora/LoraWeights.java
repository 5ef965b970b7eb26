package dev.cogvideox.train.lora;

import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.tensor.Finite;
import dev.cogvideox.tensor.Shapes;
import dev.cogvideox.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A set of LoRA pairs for the transformer's attention projections, keyed by module path
 * ({@code transformer_blocks.<i>.attn1.<to_q|to_k|to_v|to_out.0>}), with {@code A = lora_A.weight [r, in]} and
 * {@code B = lora_B.weight [out, r]}. {@code loraAlpha} null means {@code lora_alpha = r} (what diffusers assumes for a
 * file without {@code lora_adapter_metadata}), i.e. scaling 1.
 */
public final class LoraWeights {
    /** The PEFT target modules of the CogVideoX training scripts. */
    public static final List<String> TARGETS = List.of("to_q", "to_k", "to_v", "to_out.0");
    /** Prefix of every key in a diffusers LoRA file. */
    public static final String PREFIX = "transformer.";
    private static final Pattern KEY = Pattern.compile(
            "(?:transformer\\.)?(transformer_blocks\\.(\\d+)\\.attn1\\.(to_q|to_k|to_v|to_out\\.0))\\.lora_([AB])\\.weight");

    /** One adapted linear layer. */
    public record Module(String path, int block, String target, Tensor a, Tensor b) {
        public int rank() {
            return a.dim(0);
        }
    }

    private final Map<String, Module> modules;
    private final Double loraAlpha;

    private LoraWeights(Map<String, Module> modules, Double loraAlpha) {
        this.modules = Collections.unmodifiableMap(modules);
        this.loraAlpha = loraAlpha;
    }

    /**
     * Builds the set from file keys ({@code transformer.transformer_blocks.<i>.attn1.<target>.lora_<A|B>.weight}; the
     * {@code transformer.} prefix may be absent). Any other key, a half pair or a pair whose shapes do not chain is an
     * error naming the keys and {@code source}.
     */
    public static LoraWeights fromKeys(Map<String, Tensor> tensors, Double loraAlpha, String source) {
        List<String> unknown = new ArrayList<>();
        Map<String, Tensor[]> pairs = new TreeMap<>();
        Map<String, Integer> blocks = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Matcher m = KEY.matcher(e.getKey());
            if (!m.matches()) {
                unknown.add(e.getKey());
                continue;
            }
            blocks.put(m.group(1), Integer.parseInt(m.group(2)));
            pairs.computeIfAbsent(m.group(1), k -> new Tensor[2])[m.group(4).equals("A") ? 0 : 1] = e.getValue();
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(source + ": keys that are not CogVideoX transformer LoRA weights ("
                    + PREFIX + "transformer_blocks.<i>.attn1.<to_q|to_k|to_v|to_out.0>.lora_<A|B>.weight): " + unknown);
        }
        Map<String, Module> modules = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor[]> e : pairs.entrySet()) {
            Tensor a = e.getValue()[0], b = e.getValue()[1];
            String path = e.getKey();
            if (a == null || b == null) {
                throw new IllegalArgumentException(source + ": " + path + " has lora_" + (a == null ? "B" : "A")
                        + ".weight but no lora_" + (a == null ? "A" : "B") + ".weight");
            }
            if (a.rank() != 2 || b.rank() != 2 || a.dim(0) != b.dim(1)) {
                throw new IllegalArgumentException(source + ": " + path + ".lora_A.weight " + Shapes.str(a.shape()) + " and lora_B.weight "
                        + Shapes.str(b.shape()) + " are not [r, in] and [out, r]");
            }
            String target = path.substring(path.indexOf(".attn1.") + 7);
            modules.put(path, new Module(path, blocks.get(path), target, a, b));
        }
        if (modules.isEmpty()) {
            throw new IllegalArgumentException(source + ": no LoRA weights");
        }
        return new LoraWeights(modules, loraAlpha);
    }

    /** Every key of {@link #fromKeys} form, with the {@code transformer.} prefix, A before B. */
    public Map<String, Tensor> toKeys() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        modules.values().forEach(m -> {
            out.put(PREFIX + m.path() + ".lora_A.weight", m.a());
            out.put(PREFIX + m.path() + ".lora_B.weight", m.b());
        });
        return out;
    }

    public Map<String, Module> modules() {
        return modules;
    }

    /** The stored lora_alpha, or null when it defaults to each module's rank. */
    public Double loraAlpha() {
        return loraAlpha;
    }

    /** {@code lora_alpha / r} for one module. */
    public double scaling(Module m) {
        return loraAlpha == null ? 1.0 : loraAlpha / m.rank();
    }

    /** Checks every module against a transformer: block index and the in/out features of the projection. */
    public void checkFits(CogVideoXTransformerConfig cfg, String source) {
        int d = cfg.innerDim();
        List<String> errors = new ArrayList<>();
        for (Module m : modules.values()) {
            if (m.block() >= cfg.numLayers()) {
                errors.add(m.path() + ": the transformer has " + cfg.numLayers() + " blocks");
            } else if (m.a().dim(1) != d || m.b().dim(0) != d) {
                errors.add(m.path() + ": lora_A " + Shapes.str(m.a().shape()) + ", lora_B " + Shapes.str(m.b().shape())
                        + " do not fit a [" + d + ", " + d + "] projection");
            } else if (Finite.countNonFinite(m.a()) + Finite.countNonFinite(m.b()) > 0) {
                errors.add(m.path() + ": " + (Finite.countNonFinite(m.a()) + Finite.countNonFinite(m.b())) + " NaN or infinite values");
            }
        }
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException(source + ": LoRA weights unusable with this " + cfg.variant() + " transformer: " + errors);
        }
    }
}
