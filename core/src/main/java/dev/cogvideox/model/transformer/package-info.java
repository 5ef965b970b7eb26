/**
 * CogVideoXTransformer3DModel and its parts. Layout convention: latents {@code [B, F, C, H, W]}; token
 * streams {@code [B, L, D]} with the text tokens first ({@code [text; video]}), video tokens ordered
 * (frame, patch row, patch column); attention heads side by side in the last dimension.
 */
package dev.cogvideox.model.transformer;
