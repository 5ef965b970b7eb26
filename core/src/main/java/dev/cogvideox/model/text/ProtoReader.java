package dev.cogvideox.model.text;

import dev.cogvideox.io.ModelFormatException;

import java.nio.charset.StandardCharsets;

/**
 * Protocol-buffer wire-format decoding over a byte array (varints, fixed32, length-delimited fields), enough
 * to read a SentencePiece {@code ModelProto} without a protobuf dependency. Errors name the source and offset.
 */
final class ProtoReader {
    static final int VARINT = 0, FIXED64 = 1, LENGTH_DELIMITED = 2, FIXED32 = 5;

    private final byte[] buf;
    private final String source;
    private final int limit;
    private int pos;

    ProtoReader(byte[] buf, String source) {
        this(buf, source, 0, buf.length);
    }

    private ProtoReader(byte[] buf, String source, int from, int limit) {
        this.buf = buf;
        this.source = source;
        this.pos = from;
        this.limit = limit;
    }

    boolean hasNext() {
        return pos < limit;
    }

    /** The next tag: field number {@code tag >>> 3}, wire type {@code tag & 7}. */
    int readTag() {
        long tag = readVarint();
        if (tag >>> 3 == 0 || tag > Integer.MAX_VALUE) {
            throw corrupt("invalid field tag " + tag);
        }
        return (int) tag;
    }

    long readVarint() {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = next();
            v |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return v;
            }
        }
        throw corrupt("varint longer than 10 bytes");
    }

    /** An {@code int32} field (negative values are written as 10-byte varints). */
    int readInt32() {
        return (int) readVarint();
    }

    boolean readBool() {
        return readVarint() != 0;
    }

    float readFloat() {
        int bits = 0;
        for (int i = 0; i < 4; i++) {
            bits |= (next() & 0xff) << (8 * i);
        }
        return Float.intBitsToFloat(bits);
    }

    byte[] readBytes() {
        int len = length();
        byte[] out = java.util.Arrays.copyOfRange(buf, pos, pos + len);
        pos += len;
        return out;
    }

    String readString() {
        int len = length();
        String s = new String(buf, pos, len, StandardCharsets.UTF_8);
        pos += len;
        return s;
    }

    /** A reader over the embedded message that follows; this reader moves past it. */
    ProtoReader readMessage() {
        int len = length();
        ProtoReader sub = new ProtoReader(buf, source, pos, pos + len);
        pos += len;
        return sub;
    }

    /** Skips the value of a field with the given wire type. */
    void skip(int wireType) {
        switch (wireType) {
            case VARINT -> readVarint();
            case FIXED64 -> advance(8);
            case LENGTH_DELIMITED -> advance(length());
            case FIXED32 -> advance(4);
            default -> throw corrupt("unsupported wire type " + wireType);
        }
    }

    /** Throws unless the field of {@code tag} has the wire type the schema gives it. */
    void expect(int tag, int wireType) {
        if ((tag & 7) != wireType) {
            throw corrupt("field " + (tag >>> 3) + " has wire type " + (tag & 7) + ", expected " + wireType);
        }
    }

    private int length() {
        long len = readVarint();
        if (len < 0 || len > limit - pos) {
            throw corrupt("length " + len + " runs past the end of the message");
        }
        return (int) len;
    }

    private void advance(int n) {
        if (n > limit - pos) {
            throw corrupt("field runs past the end of the message");
        }
        pos += n;
    }

    private byte next() {
        if (pos >= limit) {
            throw corrupt("truncated message");
        }
        return buf[pos++];
    }

    ModelFormatException corrupt(String what) {
        return new ModelFormatException(source + ": not a valid SentencePiece model (" + what + " at byte " + pos + ")");
    }
}
