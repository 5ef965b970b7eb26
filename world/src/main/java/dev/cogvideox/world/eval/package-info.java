/**
 * Measuring how well a model follows the world's prompts: {@link dev.cogvideox.world.eval.Evaluator} makes a video
 * per prompt and seed from a {@link dev.cogvideox.world.eval.VideoSource} (a model through {@link
 * dev.cogvideox.world.eval.PipelineVideoSource}), detects what it shows and scores it; {@link
 * dev.cogvideox.world.eval.EvalReport} holds the held-out and seen groups' scores.
 */
package dev.cogvideox.world.eval;
