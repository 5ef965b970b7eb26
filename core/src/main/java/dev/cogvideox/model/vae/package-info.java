/**
 * The CogVideoX 3D causal VAE ({@code AutoencoderKLCogVideoX}): one class per diffusers class, weights looked up by
 * their diffusers state_dict names. Tensors are {@code [N, C, T, H, W]} (PyTorch order), fp32 on the heap, one sample
 * and one frame batch at a time; conv weights stay in their stored dtype inside the mapped file.
 */
package dev.cogvideox.model.vae;
