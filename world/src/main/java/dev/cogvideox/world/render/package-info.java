/**
 * Rendering the world: {@link dev.cogvideox.world.render.ClipSampler} draws a clip's size, speed and start from a
 * seeded stream, {@link dev.cogvideox.world.render.ClipRenderer} draws its frames.
 */
package dev.cogvideox.world.render;
