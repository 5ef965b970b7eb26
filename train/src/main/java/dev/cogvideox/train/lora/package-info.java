/**
 * LoRA in the PEFT / diffusers convention on {@code attn1.to_q/to_k/to_v/to_out.0} of every block: the diffusers
 * file format ({@code pytorch_lora_weights.safetensors}), attaching adapters to the trainable transformer, and fusing
 * them into the weights of the inference model.
 */
package dev.cogvideox.train.lora;
