/**
 * The text side of CogVideoX: a pure-Java SentencePiece unigram tokenizer with the {@code T5Tokenizer}
 * (legacy) rules, the T5 v1.1 encoder, and prompt encoding as {@code CogVideoXPipeline.encode_prompt}
 * does it. Activations are {@code [B, L, C]} fp32 tensors in PyTorch order; weights stay in their stored
 * dtype inside the {@link dev.cogvideox.io.WeightStore} that {@link dev.cogvideox.model.text.T5EncoderModel} owns.
 */
package dev.cogvideox.model.text;
