/**
 * Random-weight models with the published shapes: whole checkpoints in the diffusers layout ({@code synth})
 * and in-memory weights for benchmarks, so speed and memory can be measured on the real shapes without a download.
 */
package dev.cogvideox.synth;
