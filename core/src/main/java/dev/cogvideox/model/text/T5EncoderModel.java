package dev.cogvideox.model.text;

import dev.cogvideox.io.QuantizedWeightStore;
import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.Taps;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * transformers' {@code T5EncoderModel} (T5 v1.1): token embedding ({@code shared.weight}, not scaled), the
 * relative position bias of block 0 shared by every block, {@code num_layers} pre-norm {@link T5Block}s and the
 * final RMS norm. Weights stay in their stored dtype (F32, F16 or BF16) and are widened inside the kernels; the
 * embedding lookup widens only the rows it needs.
 *
 * <p>Ownership: the model owns the {@link WeightStore} it was loaded from; {@link #close()} releases it.
 */
public final class T5EncoderModel implements AutoCloseable {
    private final T5Config config;
    private final WeightStore store;
    /** {@code shared.weight [vocab_size, d_model]} (tied to {@code encoder.embed_tokens.weight}). */
    private final Weight shared;
    private final List<T5Block> blocks;
    private final T5LayerNorm finalLayerNorm;

    /** Builds the encoder from a config and a weight store (which it then owns); every weight is checked here. */
    public T5EncoderModel(T5Config config, WeightStore store) {
        this.config = config;
        this.store = store;
        String embedName = store.has("shared.weight") ? "shared.weight" : "encoder.embed_tokens.weight";
        this.shared = store.weight(embedName, config.vocabSize(), config.dModel());
        List<T5Block> list = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) {
            list.add(T5Block.load(store, "encoder.block." + i, config, i == 0));
        }
        this.blocks = List.copyOf(list);
        this.finalLayerNorm = T5LayerNorm.load(store, "encoder.final_layer_norm", config);
    }

    /** Loads {@code config.json} and the single-file or sharded safetensors weights of a {@code text_encoder/} folder. */
    public static T5EncoderModel fromPretrained(Path textEncoderDir) {
        return fromPretrained(textEncoderDir, null);
    }

    /** As {@link #fromPretrained(Path)} with the linear layers quantized to {@code weights} on load (null: as stored). */
    public static T5EncoderModel fromPretrained(Path textEncoderDir, QuantFormat weights) {
        return fromPretrained(textEncoderDir, weights, Kernels.JAVA);
    }

    /** As {@link #fromPretrained(Path, QuantFormat)}, the encoder running on {@code kernels}. */
    public static T5EncoderModel fromPretrained(Path textEncoderDir, QuantFormat weights, Kernels kernels) {
        T5Config config = T5Config.read(textEncoderDir.resolve("config.json"));
        WeightStore store = QuantizedWeightStore.of(WeightStore.open(textEncoderDir).withKernels(kernels), weights);
        try {
            return new T5EncoderModel(config, store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    public T5Config config() {
        return config;
    }

    /** The bucket {@code [query, key]} of every token pair of a {@code length}-token sequence ({@code _relative_position_bucket}). */
    public static int[][] relativePositionBuckets(int length, T5Config config) {
        return T5Attention.relativePositionBuckets(length, config);
    }

    /** {@code text_encoder(input_ids)[0]}: {@code inputIds [B][L] -> last_hidden_state [B, L, d_model]}, no mask. */
    public Tensor forward(int[][] inputIds) {
        return forward(inputIds, null, RunContext.NONE);
    }

    /**
     * {@code text_encoder(input_ids, attention_mask)[0]}. With a mask (1 = token, 0 = padding), masked keys get
     * {@code float32_min} added to their bias, as T5 does; CogVideoX passes none, so padding is attended.
     *
     * @param run after each block its token is checked and its progress told the blocks done as parts of the caller's
     *            current item ({@link dev.cogvideox.progress.ProgressListener#onSubProgress}), as the transformer does;
     *            its taps get the module paths of the reference ({@code encoder.block.3}) and their outputs
     */
    public Tensor forward(int[][] inputIds, int[][] attentionMask, RunContext run) {
        Taps taps = run.taps();
        int b = inputIds.length, l = b == 0 ? 0 : inputIds[0].length;
        if (b == 0 || l == 0) {
            throw new IllegalArgumentException("input_ids must have at least one row and one token");
        }
        // 1. Token embeddings, rows widened from the stored table.
        Tensor hidden = embed(inputIds);                                   // [B, L, d_model]
        taps.tap("encoder.embed_tokens", hidden);
        // 2. Position bias of block 0, with the padding mask folded in when there is one.
        Tensor positionBias = blocks.getFirst().selfAttention().computeBias(l);  // [1, H, L, L]
        taps.tap("encoder.block.0.layer.0.SelfAttention.position_bias", positionBias);
        if (attentionMask != null) {
            positionBias = maskedBias(positionBias, attentionMask, b, l);  // [B, H, L, L]
        }
        // 3. Blocks.
        for (int i = 0; i < blocks.size(); i++) {
            hidden = blocks.get(i).forward(hidden, positionBias);          // [B, L, d_model]
            store.evict("encoder.block." + i + ".");                       // weights streamed from the map
            taps.tap("encoder.block." + i, hidden);
            run.cancel().throwIfCancelled();
            run.progress().onSubProgress(i + 1, blocks.size());
        }
        // 4. Final RMS norm.
        Tensor out = finalLayerNorm.forward(hidden);                       // [B, L, d_model]
        taps.tap("encoder.final_layer_norm", out);
        return out;
    }

    /** {@code shared.weight[input_ids]}; an id outside the table is an error naming it. */
    private Tensor embed(int[][] inputIds) {
        int b = inputIds.length, l = inputIds[0].length, d = config.dModel();
        Tensor out = Tensor.zeros(b, l, d);
        for (int i = 0; i < b; i++) {
            if (inputIds[i].length != l) {
                throw new IllegalArgumentException("input_ids rows differ in length: " + inputIds[i].length + " vs " + l);
            }
            for (int t = 0; t < l; t++) {
                int id = inputIds[i][t];
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " at [" + i + ", " + t + "] is outside the vocabulary of " + config.vocabSize());
                }
                shared.widen((long) id * d, out.data(), (i * l + t) * d, d);
            }
        }
        return out;
    }

    /** {@code position_bias + (1 - mask)[:, None, None, :] * float32_min}, in float32 as the reference. */
    private static Tensor maskedBias(Tensor positionBias, int[][] mask, int b, int l) {
        int heads = positionBias.dim(1);
        Tensor out = Tensor.zeros(b, heads, l, l);
        float[] src = positionBias.data(), dst = out.data();
        for (int i = 0; i < b; i++) {
            if (mask[i].length != l) {
                throw new IllegalArgumentException("attention_mask row " + i + " has " + mask[i].length + " entries for " + l + " tokens");
            }
            for (int hq = 0; hq < heads * l; hq++) {
                for (int j = 0; j < l; j++) {
                    dst[(i * heads * l + hq) * l + j] = src[hq * l + j] + (1f - mask[i][j]) * -Float.MAX_VALUE;
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        store.close();
    }
}
