/**
 * The detector written for the world: {@link dev.cogvideox.world.detect.FrameDetector} finds the background, the
 * shape, its colour and class in one frame; {@link dev.cogvideox.world.detect.ClipDetector} adds the centroid track
 * (direction) and the flicker figures over a clip. It reads any video in [0, 1], rendered or generated.
 */
package dev.cogvideox.world.detect;
