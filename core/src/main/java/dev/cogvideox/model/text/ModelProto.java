package dev.cogvideox.model.text;

import dev.cogvideox.io.ModelFormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The fields of SentencePiece's {@code ModelProto} ({@code sentencepiece_model.proto}) that encoding uses,
 * read from a {@code spiece.model} file. Fields this reader does not know are skipped, as protobuf does.
 */
public record ModelProto(List<SentencePiece> pieces, TrainerSpec trainerSpec, NormalizerSpec normalizerSpec) {
    /** {@code ModelProto.SentencePiece.Type}. */
    public enum Type {
        NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE;

        static Type of(int number, ProtoReader r) {
            if (number < 1 || number > 6) {
                throw r.corrupt("unknown piece type " + number);
            }
            return values()[number - 1];
        }
    }

    /** {@code ModelProto.SentencePiece}: piece (field 1), score (2), type (3, default NORMAL). */
    public record SentencePiece(String piece, float score, Type type) {
    }

    /**
     * {@code TrainerSpec}: model_type (3, 1 = UNIGRAM), treat_whitespace_as_suffix (24), byte_fallback (35),
     * unk_id (40), bos_id (41), eos_id (42), pad_id (43), with the proto defaults.
     */
    public record TrainerSpec(int modelType, boolean treatWhitespaceAsSuffix, boolean byteFallback, int unkId, int bosId, int eosId, int padId) {
        public static final int UNIGRAM = 1;
    }

    /**
     * {@code NormalizerSpec}: name (1), precompiled_charsmap (2), add_dummy_prefix (3), remove_extra_whitespaces (4),
     * escape_whitespaces (5); the three flags default to true.
     */
    public record NormalizerSpec(String name, byte[] precompiledCharsmap, boolean addDummyPrefix, boolean removeExtraWhitespaces,
                                 boolean escapeWhitespaces) {
    }

    /** Reads and parses a model file; a missing, unreadable or corrupt file is an error naming it. */
    public static ModelProto read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file + ": missing (the tokenizer needs its SentencePiece model file)");
        }
        try {
            return parse(Files.readAllBytes(file), file.toString());
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read SentencePiece model: " + e.getMessage(), e);
        }
    }

    static ModelProto parse(byte[] data, String source) {
        ProtoReader r = new ProtoReader(data, source);
        List<SentencePiece> pieces = new ArrayList<>();
        TrainerSpec trainer = trainerSpec(null);
        NormalizerSpec normalizer = null;
        while (r.hasNext()) {
            int tag = r.readTag();
            switch (tag >>> 3) {
                case 1 -> {
                    r.expect(tag, ProtoReader.LENGTH_DELIMITED);
                    pieces.add(sentencePiece(r.readMessage()));
                }
                case 2 -> {
                    r.expect(tag, ProtoReader.LENGTH_DELIMITED);
                    trainer = trainerSpec(r.readMessage());
                }
                case 3 -> {
                    r.expect(tag, ProtoReader.LENGTH_DELIMITED);
                    normalizer = normalizerSpec(r.readMessage());
                }
                default -> r.skip(tag & 7);
            }
        }
        if (pieces.isEmpty()) {
            throw r.corrupt("no pieces");
        }
        if (normalizer == null) {
            normalizer = normalizerSpec(null);
        }
        return new ModelProto(List.copyOf(pieces), trainer, normalizer);
    }

    private static SentencePiece sentencePiece(ProtoReader r) {
        String piece = null;
        float score = 0f;
        Type type = Type.NORMAL;
        while (r.hasNext()) {
            int tag = r.readTag();
            switch (tag >>> 3) {
                case 1 -> {
                    r.expect(tag, ProtoReader.LENGTH_DELIMITED);
                    piece = r.readString();
                }
                case 2 -> {
                    r.expect(tag, ProtoReader.FIXED32);
                    score = r.readFloat();
                }
                case 3 -> {
                    r.expect(tag, ProtoReader.VARINT);
                    type = Type.of(r.readInt32(), r);
                }
                default -> r.skip(tag & 7);
            }
        }
        if (piece == null || piece.isEmpty()) {
            throw r.corrupt("empty piece");
        }
        return new SentencePiece(piece, score, type);
    }

    /** Parses a TrainerSpec, or returns the proto defaults when {@code r} is null. */
    private static TrainerSpec trainerSpec(ProtoReader r) {
        int modelType = TrainerSpec.UNIGRAM, unk = 0, bos = 1, eos = 2, pad = -1;
        boolean suffix = false, byteFallback = false;
        while (r != null && r.hasNext()) {
            int tag = r.readTag();
            int field = tag >>> 3;
            if (field == 3 || field == 24 || field == 35 || (field >= 40 && field <= 43)) {
                r.expect(tag, ProtoReader.VARINT);
            }
            switch (field) {
                case 3 -> modelType = r.readInt32();
                case 24 -> suffix = r.readBool();
                case 35 -> byteFallback = r.readBool();
                case 40 -> unk = r.readInt32();
                case 41 -> bos = r.readInt32();
                case 42 -> eos = r.readInt32();
                case 43 -> pad = r.readInt32();
                default -> r.skip(tag & 7);
            }
        }
        return new TrainerSpec(modelType, suffix, byteFallback, unk, bos, eos, pad);
    }

    /** Parses a NormalizerSpec, or returns the proto defaults (no charsmap) when {@code r} is null. */
    private static NormalizerSpec normalizerSpec(ProtoReader r) {
        String name = "";
        byte[] charsmap = new byte[0];
        boolean dummyPrefix = true, removeExtra = true, escape = true;
        while (r != null && r.hasNext()) {
            int tag = r.readTag();
            int field = tag >>> 3;
            r.expect(tag, field <= 2 ? ProtoReader.LENGTH_DELIMITED : field <= 5 ? ProtoReader.VARINT : tag & 7);
            switch (field) {
                case 1 -> name = r.readString();
                case 2 -> charsmap = r.readBytes();
                case 3 -> dummyPrefix = r.readBool();
                case 4 -> removeExtra = r.readBool();
                case 5 -> escape = r.readBool();
                default -> r.skip(tag & 7);
            }
        }
        return new NormalizerSpec(name, charsmap, dummyPrefix, removeExtra, escape);
    }
}
