/** Benchmarks of the 3D causal VAE: the convolution kernel against the FMA peak, decode time and peak memory. */
package dev.cogvideox.bench.vae;
