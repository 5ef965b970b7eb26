/**
 * Optimisation for training: AdamW over the fp32 master parameters, gradient clipping by global norm, the learning
 * rate schedules of diffusers' {@code get_scheduler}, and timestep sampling (i.i.d. or Explicit Uniform Sampling).
 */
package dev.cogvideox.train.optim;
