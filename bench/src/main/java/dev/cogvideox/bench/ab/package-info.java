/** Alternated A/B timing of two builds of a kernel inside one JVM: the only comparison that holds on a noisy host. */
package dev.cogvideox.bench.ab;
