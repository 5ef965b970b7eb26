/**
 * Training: one training step of the CogVideoX scripts ({@link dev.cogvideox.train.TrainingStep}), the
 * image-to-video conditioning path, and the sub-packages: backward kernels ({@code grad}), the trainable transformer
 * ({@code model}), the loss ({@code loss}), LoRA ({@code lora}), optimisation ({@code optim}) and the golden verifier.
 */
package dev.cogvideox.train;
