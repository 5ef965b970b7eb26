/**
 * Training of the 3D causal VAE from scratch (issue 25): the trainable VAE (the inference modules over live fp32
 * parameters), the posterior's and the objective's gradients (reconstruction + KL), one optimizer step.
 */
package dev.cogvideox.train.vae;
