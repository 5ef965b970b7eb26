/**
 * Video and image files: frames as {@code [F, 3, H, W]} fp32 tensors in [0, 1] (PyTorch order, RGB) on one
 * side, 8-bit {@link dev.cogvideox.io.video.RgbImage}s on the other. Writers (MP4 through FFmpeg's OpenH264
 * encoder, animated GIF and PNG frames through the JDK) stream frames and publish the output atomically;
 * {@link dev.cogvideox.io.video.MediaReader} loads images and videos as inputs for image- and video-to-video.
 */
package dev.cogvideox.io.video;
