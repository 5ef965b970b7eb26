/** Benchmarks of the text side: T5 encoder throughput and memory on the real model's shapes. */
package dev.cogvideox.bench.text;
