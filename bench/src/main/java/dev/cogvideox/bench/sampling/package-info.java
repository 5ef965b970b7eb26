/** The cost and the quality of the levers that spend fewer transformer passes per video (custom timesteps, step caches). */
package dev.cogvideox.bench.sampling;
