package dev.cogvideox.io.video;

import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;

import org.bytedeco.javacpp.BytePointer;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The FFmpeg build we ship: {@code org.bytedeco:ffmpeg} (LGPL v3) with natives for linux-x86_64 only. Loads
 * it once, silences its log, and finds the H.264 encoder, with errors that say what is missing.
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

    /** {@code "avcodec_send_frame() error -1313558101: Could not send frame..."}: the function and the error code. */
    private static final Pattern ERROR = Pattern.compile("(\\w+)\\(\\) error (-?\\d+)");

    /** What each FFmpeg call that fails in practice was doing, for messages. */
    private static final Map<String, String> DOING = Map.ofEntries(
            Map.entry("avformat_open_input", "open the file"),
            Map.entry("avformat_find_stream_info", "find its streams"),
            Map.entry("avcodec_open2", "open the codec"),
            Map.entry("avcodec_send_frame", "encode a frame"),
            Map.entry("avcodec_receive_packet", "encode a frame"),
            Map.entry("avcodec_send_packet", "decode a frame"),
            Map.entry("avcodec_receive_frame", "decode a frame"),
            Map.entry("av_interleaved_write_frame", "write the file"),
            Map.entry("av_write_trailer", "finish the file"),
            Map.entry("avio_open", "open the file for writing"));

    /**
     * A failure of the FFmpeg wrapper as one plain sentence: what FFmpeg was doing and its own description of the
     * error code ({@code av_strerror}), without the wrapper's internals.
     */
    static String describe(Exception e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        Matcher x = ERROR.matcher(m);
        if (x.find()) {
            String doing = DOING.getOrDefault(x.group(1), "process it");
            return "FFmpeg could not " + doing + ": " + strerror(Integer.parseInt(x.group(2)));
        }
        if (m.startsWith("Did not find a video or audio stream")) {
            return "FFmpeg found no video stream in it";
        }
        int cut = m.indexOf(" (For more details");
        return "FFmpeg: " + (cut >= 0 ? m.substring(0, cut) : m).strip();
    }

    private static String strerror(int code) {
        try (BytePointer buf = new BytePointer(256)) {
            avutil.av_strerror(code, buf, 256);
            byte[] bytes = new byte[256];
            buf.get(bytes);
            int end = 0;
            while (end < bytes.length && bytes[end] != 0) {
                end++;
            }
            String text = new String(bytes, 0, end, java.nio.charset.StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? "error " + code : text;
        } catch (UnsatisfiedLinkError | NoClassDefFoundError le) {
            return "error " + code;
        }
    }

    /** Loads the natives (once) or explains why they cannot be. */
    static synchronized void load() {
        try {
            // FFmpeg's own log lines ("moov atom not found") are not for the user: every failure ends in an exception
            // that describe() turns into a message naming the file
            avutil.av_log_set_level(avutil.AV_LOG_QUIET);
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
