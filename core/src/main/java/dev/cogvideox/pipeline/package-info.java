/**
 * Text-to-video and image-to-video pipelines: thin orchestrators that own the denoising loop, classifier-free
 * guidance and the memory plan (text encoder, then transformer, then VAE, each released before the next loads),
 * never model math.
 */
package dev.cogvideox.pipeline;
