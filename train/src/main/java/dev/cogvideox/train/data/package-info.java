/**
 * Training data: the dataset index (diffusers' {@code videos.txt} + {@code prompts.txt}, or JSONL), reading and
 * fitting clips to a stage's resolution and frame count, and the on-disk cache of VAE posteriors and prompt
 * embeddings that lets training steps run without the VAE or the text encoder.
 */
package dev.cogvideox.train.data;
