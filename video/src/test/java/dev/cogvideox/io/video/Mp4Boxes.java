package dev.cogvideox.io.video;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * A minimal ISO BMFF reader for tests, independent of FFmpeg: walks moov/trak/mdia/minf/stbl and reads the
 * video track's frame count (stsz), display size (tkhd), media timescale (mdhd) and frame duration (stts).
 */
public record Mp4Boxes(int frames, int width, int height, long timescale, long frameDelta, boolean moovBeforeMdat) {
    private static final Set<String> CONTAINERS = Set.of("moov", "trak", "mdia", "minf", "stbl");

    public double fps() {
        return (double) timescale / frameDelta;
    }

    public static Mp4Boxes parse(Path file) throws IOException {
        Builder b = new Builder();
        walk(ByteBuffer.wrap(Files.readAllBytes(file)), 0, (int) Files.size(file), b);
        return new Mp4Boxes(b.frames, b.width, b.height, b.timescale, b.delta, b.moovAt < b.mdatAt);
    }

    private static final class Builder {
        int frames;
        int width;
        int height;
        long timescale;
        long delta;
        long moovAt = -1;
        long mdatAt = -1;
    }

    private static void walk(ByteBuffer buf, int from, int to, Builder b) {
        int pos = from;
        while (pos + 8 <= to) {
            long size = Integer.toUnsignedLong(buf.getInt(pos));
            String type = new String(new byte[]{buf.get(pos + 4), buf.get(pos + 5), buf.get(pos + 6), buf.get(pos + 7)},
                    StandardCharsets.ISO_8859_1);
            int header = 8;
            if (size == 1) {
                size = buf.getLong(pos + 8);
                header = 16;
            } else if (size == 0) {
                size = to - pos;
            }
            int body = pos + header;
            int end = (int) (pos + size);
            switch (type) {
                case "moov" -> b.moovAt = pos;
                case "mdat" -> b.mdatAt = pos;
                case "tkhd" -> {
                    int version = buf.get(body);
                    int off = body + (version == 1 ? 88 : 76); // 16.16 fixed width then height at the end
                    int w = buf.getInt(off) >>> 16;
                    int h = buf.getInt(off + 4) >>> 16;
                    if (w > 0 && h > 0) {
                        b.width = w;
                        b.height = h;
                    }
                }
                case "mdhd" -> {
                    int version = buf.get(body);
                    b.timescale = Integer.toUnsignedLong(buf.getInt(body + (version == 1 ? 20 : 12)));
                }
                case "stts" -> b.delta = Integer.toUnsignedLong(buf.getInt(body + 12)); // first entry's sample delta
                case "stsz" -> b.frames = buf.getInt(body + 8);
                default -> {
                }
            }
            if (CONTAINERS.contains(type)) {
                walk(buf, body, end, b);
            }
            pos = end;
        }
    }
}
