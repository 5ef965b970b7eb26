/** Training: backward passes of the transformer's operations, the v-prediction loss, LoRA, AdamW. */
package dev.cogvideox.train;
