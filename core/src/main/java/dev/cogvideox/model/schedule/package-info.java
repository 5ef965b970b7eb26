/**
 * The CogVideoX schedulers (diffusers {@code CogVideoXDDIMScheduler} and {@code CogVideoXDPMScheduler}) behind
 * one sealed contract, {@link dev.cogvideox.model.schedule.CogVideoXScheduler}, plus the training-side
 * {@code add_noise}/{@code get_velocity} and the dynamic classifier-free-guidance scale.
 *
 * <p>Numerics follow docs/semantics.md, section "Schedulers": the schedule and every per-step scalar are
 * float64 (as the reference's 0-dim float64 tensors), each scalar is rounded to float32 where it multiplies a
 * float32 tensor, and the tensor arithmetic is float32 one operation at a time, in the reference's order.
 * Latents are {@code (B, F, C, H, W)} float32 tensors; the schedulers are elementwise and accept any shape.
 */
package dev.cogvideox.model.schedule;
