/**
 * The world's language: {@link dev.cogvideox.world.prompt.Captions} words a combination for training, {@link
 * dev.cogvideox.world.prompt.PromptParser} reads any of those wordings back.
 */
package dev.cogvideox.world.prompt;
