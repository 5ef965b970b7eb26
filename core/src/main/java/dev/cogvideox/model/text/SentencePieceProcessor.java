package dev.cogvideox.model.text;

import dev.cogvideox.io.ModelFormatException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SentencePiece's {@code SentencePieceProcessor} for unigram models: {@link #encode} normalizes the text,
 * segments it with {@link UnigramModel}, and turns unknown characters into the unknown piece, a run of
 * consecutive unknown characters into ONE unknown piece whose string is the run's normalized text (or, with
 * {@code byte_fallback}, into {@code <0xXX>} byte pieces).
 *
 * <p>Java strings are encoded to UTF-8 first; an unpaired surrogate (which Python cannot encode at all)
 * becomes {@code ?}. Immutable and thread-safe.
 */
public final class SentencePieceProcessor {
    /** One encoded piece: its string (normalized text, U+2581 for spaces) and its id. */
    public record Piece(String piece, int id) {
    }

    private final List<ModelProto.SentencePiece> pieces;
    private final Normalizer normalizer;
    private final UnigramModel model;
    private final boolean byteFallback;
    private final int unkId;
    /** NORMAL, USER_DEFINED and UNUSED pieces ({@code pieces_}). */
    private final Map<String, Integer> normalIds = new HashMap<>();
    /** CONTROL, UNKNOWN and BYTE pieces ({@code reserved_id_map_}). */
    private final Map<String, Integer> reservedIds = new HashMap<>();

    private SentencePieceProcessor(ModelProto proto, String source) {
        if (proto.trainerSpec().modelType() != ModelProto.TrainerSpec.UNIGRAM) {
            throw new ModelFormatException(source + ": SentencePiece model type " + proto.trainerSpec().modelType()
                    + " is not supported (only 1 = UNIGRAM, the type T5 uses)");
        }
        this.pieces = proto.pieces();
        this.byteFallback = proto.trainerSpec().byteFallback();
        PieceTrie userDefined = new PieceTrie();
        int unk = -1;
        for (int id = 0; id < pieces.size(); id++) {
            ModelProto.SentencePiece p = pieces.get(id);
            boolean normal = p.type() == ModelProto.Type.NORMAL || p.type() == ModelProto.Type.USER_DEFINED || p.type() == ModelProto.Type.UNUSED;
            if ((normal ? normalIds : reservedIds).putIfAbsent(p.piece(), id) != null) {
                throw new ModelFormatException(source + ": piece '" + p.piece() + "' is defined twice");
            }
            if (p.type() == ModelProto.Type.USER_DEFINED) {
                userDefined.insert(p.piece(), id);
            }
            if (p.type() == ModelProto.Type.UNKNOWN) {
                if (unk >= 0) {
                    throw new ModelFormatException(source + ": more than one unknown piece");
                }
                unk = id;
            }
        }
        if (unk < 0) {
            throw new ModelFormatException(source + ": the SentencePiece model defines no unknown piece");
        }
        this.unkId = unk;
        this.normalizer = new Normalizer(proto.normalizerSpec(), proto.trainerSpec().treatWhitespaceAsSuffix(), userDefined, source);
        this.model = new UnigramModel(pieces, unk, source);
    }

    /** Loads a {@code spiece.model}; a missing or corrupt file is a {@link ModelFormatException} naming it. */
    public static SentencePieceProcessor load(Path modelFile) {
        return new SentencePieceProcessor(ModelProto.read(modelFile), modelFile.toString());
    }

    /** {@code SentencePieceProcessor.encode(text, out_type=str)} with the ids alongside. */
    public List<Piece> encode(String text) {
        byte[] normalized = normalizer.normalize(text.getBytes(StandardCharsets.UTF_8));
        List<Piece> out = new ArrayList<>();
        boolean prevUnk = false;
        for (UnigramModel.Segment s : model.encode(normalized)) {
            boolean unk = s.id() == unkId;
            String w = new String(normalized, s.begin(), s.end() - s.begin(), StandardCharsets.UTF_8);
            if (unk && byteFallback) {
                for (int i = s.begin(); i < s.end(); i++) {
                    String bytePiece = String.format("<0x%02X>", normalized[i] & 0xff);
                    out.add(new Piece(bytePiece, pieceToId(bytePiece)));
                }
            } else if (unk && prevUnk) {
                Piece last = out.removeLast();
                out.add(new Piece(last.piece() + w, last.id()));
            } else {
                out.add(new Piece(w, s.id()));
            }
            prevUnk = unk;
        }
        return out;
    }

    /** The id of a piece string; the unknown id when the vocabulary has no such piece ({@code piece_to_id}). */
    public int pieceToId(String piece) {
        Integer id = reservedIds.get(piece);
        if (id == null) {
            id = normalIds.get(piece);
        }
        return id == null ? unkId : id;
    }

    /** The piece string of an id ({@code id_to_piece}). */
    public String idToPiece(int id) {
        return pieces.get(id).piece();
    }

    /** Number of pieces in the model ({@code len(sp_model)}). */
    public int getPieceSize() {
        return pieces.size();
    }

    public int unkId() {
        return unkId;
    }
}
