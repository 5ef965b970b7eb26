package dev.cogvideox.data.features;

import java.io.Serializable;

/**
 * What the feature pass measured of one clip. Motion is in frame widths per second (0.1: something crosses the frame
 * in 10 s), measured on frames about 1/8 s apart; differences and brightness are of luma in [0, 1].
 *
 * @param frames          frames in the clip
 * @param seconds         its duration (frames / fps)
 * @param diffMean        mean luma difference between consecutive frames
 * @param diffMax         the largest of those
 * @param stillFraction   fraction of consecutive frame pairs in which (nearly) no pixel changes (held frames: slideshows, freezes)
 * @param motion          mean block shift of the textured blocks
 * @param motionSpread    their spread over the frame (mean over frame pairs of the blocks' standard deviation)
 * @param motionArea      fraction of the textured blocks that moved
 * @param motionCoherence how much the frame's mean shift keeps its direction over the clip: 1 a steady pan, near 0 shake
 * @param sharpness       mean variance of the Laplacian (frames sampled twice a second, at most 384 wide)
 * @param brightness      mean luma
 * @param clipped         mean fraction of crushed or blown pixels
 * @param textArea        mean fraction of text-like blocks (sampled frames)
 * @param flatArea        mean fraction of exactly flat blocks (sampled frames)
 */
public record ClipFeatures(int frames, double seconds, int width, int height, double fps, double diffMean, double diffMax,
                           double stillFraction, double motion, double motionSpread, double motionArea, double motionCoherence,
                           double sharpness, double brightness, double clipped, double textArea, double flatArea) implements Serializable {
}
