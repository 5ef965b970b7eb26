/**
 * Backward passes of the transformer's operations, one class per kernel family, each the gradient of a forward
 * kernel in {@code dev.cogvideox.tensor}. Layout as in the forward kernels: activations {@code [B, L, C]}
 * row-major, weights {@code [out, in]}. Reductions over tokens run in double, column by column, so results do
 * not depend on the thread count.
 */
package dev.cogvideox.train.grad;
