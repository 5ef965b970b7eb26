/** Benchmarks of the kernels on the real model's shapes, reported as a fraction of the machine's FMA peak. */
package dev.cogvideox.bench;
