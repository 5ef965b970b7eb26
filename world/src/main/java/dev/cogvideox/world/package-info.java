/**
 * The procedural world the default model is trained on and measured in: one filled shape of a {@link
 * dev.cogvideox.world.Colour} ({@link dev.cogvideox.world.Shape}) moving in a {@link dev.cogvideox.world.Direction}
 * on a plain {@link dev.cogvideox.world.Background}. A {@link dev.cogvideox.world.Combination} is the four together;
 * {@link dev.cogvideox.world.HeldOut} is the fixed list of combinations kept out of training. Subpackages: {@code
 * render} (clips), {@code prompt} (captions and their parser), {@code detect} (what a video shows), {@code dataset}
 * (the training set on disk), {@code eval} (scoring a model's videos against their prompts).
 */
package dev.cogvideox.world;
