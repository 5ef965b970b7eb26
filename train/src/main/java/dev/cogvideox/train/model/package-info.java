/**
 * The core transformer made trainable: fp32 master parameters named by their diffusers {@code state_dict} keys,
 * which the core model reads without copying; its forward recorded on a {@link dev.cogvideox.model.Tape}; the
 * backward pass that walks the tape in reverse; LoRA branches attached to the core linear layers. There is no
 * forward here: a model change is made once, in {@code dev.cogvideox.model.transformer}.
 */
package dev.cogvideox.train.model;
