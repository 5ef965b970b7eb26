package dev.cogvideox.train.vae;

import dev.cogvideox.io.ShapeRecordingStore;
import dev.cogvideox.io.TensorWeightStore;
import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoX;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoXConfig;
import dev.cogvideox.model.vae.Gradients;
import dev.cogvideox.synth.WeightInit;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.model.Parameter;
import dev.cogvideox.train.model.Parameters;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An {@link AutoencoderKLCogVideoX} whose weights are fp32 heap tensors shared with its {@link Parameters}: the
 * optimizer updates the very arrays the VAE's modules read, so training runs the inference modules themselves (no
 * training copy of the VAE); their backward passes fill {@link Gradients} that {@link #accumulate} adds to the
 * parameters.
 */
public final class TrainableVae {
    private final AutoencoderKLCogVideoX vae;
    private final Parameters parameters = new Parameters();

    private TrainableVae(AutoencoderKLCogVideoXConfig config, Map<String, Tensor> weights, String source) {
        TensorWeightStore store = new TensorWeightStore(weights, source);
        this.vae = new AutoencoderKLCogVideoX(config, store);
        store.tensors().forEach((name, t) -> parameters.register(new Parameter(name, t)));
    }

    /**
     * A new VAE of {@code config}, initialised as PyTorch initialises its layers ({@link WeightInit}: convolutions
     * uniform with standard deviation {@code 1/sqrt(fan_in)}, norms weight 1 and bias 0) from {@code seed}.
     */
    public static TrainableVae initial(AutoencoderKLCogVideoXConfig config, long seed) {
        Map<String, int[]> manifest;
        try (ShapeRecordingStore shapes = new ShapeRecordingStore()) {
            new AutoencoderKLCogVideoX(config, shapes);                       // asks for every weight with its shape
            manifest = new LinkedHashMap<>(shapes.shapes());
        }
        Map<String, Tensor> weights = new LinkedHashMap<>();
        manifest.forEach((name, shape) -> {
            Tensor t = Tensor.zeros(shape);
            WeightInit.fill(seed, name, shape, 0, t.data(), t.numel());
            weights.put(name, t);
        });
        return new TrainableVae(config, weights, "new VAE (seed " + seed + ")");
    }

    /** A VAE folder's weights copied to fp32 (to continue training it). */
    public static TrainableVae load(Path vaeDir) {
        AutoencoderKLCogVideoXConfig config = AutoencoderKLCogVideoXConfig.read(vaeDir.resolve("config.json"));
        try (WeightStore store = WeightStore.open(vaeDir)) {
            return new TrainableVae(config, TensorWeightStore.copyOf(store).tensors(), store.source());
        }
    }

    public AutoencoderKLCogVideoX vae() {
        return vae;
    }

    public AutoencoderKLCogVideoXConfig config() {
        return vae.config();
    }

    public Parameters parameters() {
        return parameters;
    }

    /** Adds a backward pass's gradients to the parameters of the same names. */
    public void accumulate(Gradients grads) {
        grads.all().forEach((name, g) -> parameters.get(name).accumulate(g));
    }
}
