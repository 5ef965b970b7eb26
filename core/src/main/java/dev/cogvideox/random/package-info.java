/**
 * Random numbers that match torch on CPU bit for bit: {@link dev.cogvideox.random.TorchGenerator} (torch's
 * mt19937 CPU generator and {@code torch.randn}) and {@link dev.cogvideox.random.NoiseSource}, the one way model
 * code asks for Gaussian noise (drawn from a generator, or replayed from recorded reference draws).
 */
package dev.cogvideox.random;
