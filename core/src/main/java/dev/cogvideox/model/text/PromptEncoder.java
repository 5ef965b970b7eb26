package dev.cogvideox.model.text;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.progress.ProgressUnit;
import dev.cogvideox.tensor.Tensor;

import java.util.Collections;
import java.util.List;

/**
 * Prompt encoding as diffusers' {@code CogVideoXPipeline.encode_prompt} / {@code _get_t5_prompt_embeds} does it:
 * <ol>
 *   <li>tokenize every prompt with {@code padding="max_length", max_length=max_sequence_length, truncation=True}
 *       (truncation is reported to the {@link TruncationListener}, by default a WARNING log line);</li>
 *   <li>run the encoder on the ids WITHOUT an attention mask (padding tokens are attended, as in the reference);</li>
 *   <li>repeat each prompt's embeddings {@code num_videos_per_prompt} times: rows p0, p0, p1, p1, ...;</li>
 *   <li>with classifier-free guidance, encode the negative prompts the same way; no negative prompt means
 *       {@code ""} for every prompt.</li>
 * </ol>
 * The tokenizer and encoder are borrowed: the caller closes the encoder.
 */
public final class PromptEncoder {
    private static final System.Logger LOG = System.getLogger(PromptEncoder.class.getName());

    /** Told when truncation to {@code max_sequence_length} dropped content tokens of a prompt. */
    @FunctionalInterface
    public interface TruncationListener {
        void truncated(String prompt, int droppedTokens, int maxSequenceLength);
    }

    /** Embeddings {@code [B * num_videos_per_prompt, L, d_model]} and the B tokenizations they came from. */
    public record TextEmbeds(Tensor embeds, List<T5Tokenizer.Encoding> textInputs) {
    }

    /** {@code (prompt_embeds, negative_prompt_embeds)}; {@code negative} is null without classifier-free guidance. */
    public record PromptEmbeds(TextEmbeds prompt, TextEmbeds negative) {
    }

    /** The default: a warning through {@link System.Logger}, as diffusers logs one. */
    public static final TruncationListener LOG_WARNING = (prompt, dropped, max) -> LOG.log(System.Logger.Level.WARNING,
            "prompt truncated to max_sequence_length {0} tokens: {1} tokens dropped (prompt starts \"{2}\")",
            max, dropped, prompt.length() > 60 ? prompt.substring(0, 60) + "..." : prompt);

    private final T5Tokenizer tokenizer;
    private final T5EncoderModel textEncoder;
    private final TruncationListener truncationListener;

    /** @param truncationListener told when a prompt loses tokens to truncation ({@link #LOG_WARNING}: as diffusers) */
    public PromptEncoder(T5Tokenizer tokenizer, T5EncoderModel textEncoder, TruncationListener truncationListener) {
        this.tokenizer = tokenizer;
        this.textEncoder = textEncoder;
        this.truncationListener = truncationListener;
    }

    /**
     * {@code encode_prompt(prompt, negative_prompt, do_classifier_free_guidance, num_videos_per_prompt,
     * max_sequence_length)}. {@code negativePrompt} null or empty means {@code ""} for every prompt; otherwise it
     * needs one entry per prompt. Reports "encoding prompt" to the run's progress in encoder blocks over the prompts'
     * forward and the negative prompts' (T5-XXL: a minute or two), checks its token after every block and hands its
     * taps to the text encoder.
     */
    public PromptEmbeds encodePrompt(List<String> prompt, List<String> negativePrompt, boolean doClassifierFreeGuidance,
                                     int numVideosPerPrompt, int maxSequenceLength, RunContext run) {
        ProgressListener progress = run.progress();
        int layers = textEncoder.config().numLayers();
        progress.onStart("encoding prompt", (doClassifierFreeGuidance ? 2L : 1L) * layers, ProgressUnit.ITEMS);
        try {
            if (prompt.isEmpty()) {
                throw new IllegalArgumentException("prompt must hold at least one string");
            }
            TextEmbeds embeds = t5PromptEmbeds(prompt, numVideosPerPrompt, maxSequenceLength, run.withProgress(blocksAsItems(progress, 0)));
            if (!doClassifierFreeGuidance) {
                return new PromptEmbeds(embeds, null);
            }
            List<String> negative = negativePrompt == null || negativePrompt.isEmpty() ? Collections.nCopies(prompt.size(), "") : negativePrompt;
            if (negative.size() != prompt.size()) {
                throw new IllegalArgumentException("negative_prompt has batch size " + negative.size() + ", but prompt has batch size " + prompt.size());
            }
            return new PromptEmbeds(embeds, t5PromptEmbeds(negative, numVideosPerPrompt, maxSequenceLength,
                    run.withProgress(blocksAsItems(progress, layers))));
        } finally {
            progress.onEnd();                                       // complete or abandoned
        }
    }

    /**
     * The encoder's blocks, which it reports as parts of the caller's item, as items of the "encoding prompt" task
     * instead (a T5-XXL block takes seconds): after {@code before} blocks of an earlier forward.
     */
    private static ProgressListener blocksAsItems(ProgressListener task, long before) {
        return ProgressListener.ofParts((done, blocks) -> task.onProgress(before + done));
    }

    /** {@code _get_t5_prompt_embeds(prompt, num_videos_per_prompt, max_sequence_length)}. */
    public TextEmbeds getT5PromptEmbeds(List<String> prompt, int numVideosPerPrompt, int maxSequenceLength) {
        return t5PromptEmbeds(prompt, numVideosPerPrompt, maxSequenceLength, RunContext.NONE);
    }

    private TextEmbeds t5PromptEmbeds(List<String> prompt, int numVideosPerPrompt, int maxSequenceLength, RunContext run) {
        if (numVideosPerPrompt < 1 || maxSequenceLength < 1) {
            throw new IllegalArgumentException("num_videos_per_prompt (" + numVideosPerPrompt + ") and max_sequence_length ("
                    + maxSequenceLength + ") must be positive");
        }
        // 1. Tokenize (padding to max_sequence_length, truncation).
        List<T5Tokenizer.Encoding> inputs = tokenizer.encode(prompt, maxSequenceLength);
        int[][] ids = new int[inputs.size()][];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = inputs.get(i).inputIds();
            if (inputs.get(i).droppedTokens() > 0) {
                truncationListener.truncated(prompt.get(i), inputs.get(i).droppedTokens(), maxSequenceLength);
            }
        }
        // 2. Encode without an attention mask.
        Tensor embeds = textEncoder.forward(ids, null, run);               // [B, L, D]
        // 3. Repeat per video: repeat(1, n, 1).view(B * n, L, D).
        return new TextEmbeds(repeatRows(embeds, numVideosPerPrompt), inputs);
    }

    /** {@code x [B, L, D] -> [B * n, L, D]} with each sample's rows repeated n times in a row. */
    private static Tensor repeatRows(Tensor x, int n) {
        int b = x.dim(0), rowSize = x.numel() / b;
        Tensor out = Tensor.zeros(b * n, x.dim(1), x.dim(2));
        for (int i = 0; i < b * n; i++) {
            System.arraycopy(x.data(), (i / n) * rowSize, out.data(), i * rowSize, rowSize);
        }
        return out;
    }
}
