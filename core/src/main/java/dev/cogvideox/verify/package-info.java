/**
 * The golden harness: finds every {@code golden/*.json} case under a fixture root, dispatches on its
 * {@code component} to a {@link dev.cogvideox.verify.ComponentVerifier}, and compares every output tensor
 * with the case's tolerance rule {@code |actual - expected| <= max_abs + max_rel * |expected|}.
 */
package dev.cogvideox.verify;
