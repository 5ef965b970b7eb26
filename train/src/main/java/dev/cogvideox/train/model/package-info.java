/**
 * The training twin of {@code dev.cogvideox.model.transformer}: the same forward, built from the core kernels,
 * over fp32 master parameters named by their diffusers {@code state_dict} keys, saving what the backward pass
 * needs, plus that backward pass. Activations {@code [B, L, C]} (text tokens first), shapes in PyTorch order. Inside
 * the blocks a batch is a packed sequence {@code [1, L, C]} of one or more clips ({@link dev.cogvideox.train.model.Packing}).
 */
package dev.cogvideox.train.model;
