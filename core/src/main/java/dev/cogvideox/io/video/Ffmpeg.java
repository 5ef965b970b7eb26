package dev.cogvideox.io.video;

import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;

import java.util.List;
import java.util.Objects;

/**
 * The FFmpeg build we ship: {@code org.bytedeco:ffmpeg} (LGPL v3) with natives for linux-x86_64 only. Loads
 * it once, quiets its log to errors, and finds the H.264 encoder, with errors that say what is missing.
 */
final class Ffmpeg {
    /** The natives artifact, for error messages (the version is read from the presets jar, when not shaded away). */
    static final String ARTIFACT = "org.bytedeco:ffmpeg:"
            + Objects.requireNonNullElse(avcodec.class.getPackage().getImplementationVersion(), "<version>")
            + ":jar:linux-x86_64";
    /** H.264 encoders in the LGPL build, best first (libx264 is GPL and absent from it). */
    static final List<String> H264_ENCODERS = List.of("libopenh264");

    private Ffmpeg() {
    }

    /** Loads the natives (once) or explains why they cannot be. */
    static synchronized void load() {
        try {
            avutil.av_log_set_level(avutil.AV_LOG_ERROR);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
            throw new IllegalStateException("cannot load FFmpeg for MP4 on " + System.getProperty("os.name") + "/"
                    + System.getProperty("os.arch") + ": the natives come from " + ARTIFACT
                    + " (linux-x86_64 only); use a .gif or PNG-frames output instead (" + e + ")", e);
        }
    }

    /** The name of the best H.264 encoder this FFmpeg build has. */
    static String h264Encoder() {
        load();
        for (String name : H264_ENCODERS) {
            AVCodec codec = avcodec.avcodec_find_encoder_by_name(name);
            if (codec != null && !codec.isNull()) {
                return name;
            }
        }
        throw new IllegalStateException("the FFmpeg build " + ARTIFACT + " has no H.264 encoder: looked for "
                + H264_ENCODERS + "; write a .gif or PNG frames instead");
    }
}
