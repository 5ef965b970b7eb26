/**
 * The training product behind {@code cogvideox train}: the stages of a progressive run, Frame Pack batching, the
 * per-step random draws, checkpoints and resume, the loss log and curve, validation videos.
 */
package dev.cogvideox.train.run;
