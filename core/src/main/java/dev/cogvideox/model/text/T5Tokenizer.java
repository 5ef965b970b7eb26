package dev.cogvideox.model.text;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cogvideox.io.JsonConfig;
import dev.cogvideox.io.ModelFormatException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * transformers' slow {@code T5Tokenizer} with {@code legacy=True} (the CogVideoX tokenizer folder), over a
 * pure-Java {@link SentencePieceProcessor}. The steps of {@code tokenizer(text, padding="max_length",
 * truncation=True, max_length=M)}:
 * <ol>
 *   <li>the raw text is split on exact occurrences of the added tokens ({@code <pad>}, {@code </s>}, {@code <unk>},
 *       {@code <extra_id_0..N>}), which become their ids directly; a token with {@code rstrip}/{@code lstrip}
 *       strips Python whitespace ({@code str.isspace}) from the neighbouring text;</li>
 *   <li>every other non-empty chunk is SentencePiece-encoded on its own (so each gets its own dummy prefix);
 *       tokens map to ids through the added tokens first, then {@code piece_to_id};</li>
 *   <li>with truncation, content longer than {@code M - 1} keeps its first {@code M - 1} ids;</li>
 *   <li>eos is appended unless the content already ends with eos, then pad ids fill up to {@code M}.</li>
 * </ol>
 * Immutable and thread-safe.
 */
public final class T5Tokenizer {
    private static final System.Logger LOG = System.getLogger(T5Tokenizer.class.getName());
    /** Python's {@code str.isspace()} characters: what {@code str.strip()} removes. */
    private static final String PY_WHITESPACE = "\t\n\u000b\f\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680"
            + "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

    /** A token matched in raw text before SentencePiece runs ({@code AddedToken}). */
    public record AddedToken(String content, int id, boolean lstrip, boolean rstrip) {
    }

    /**
     * One tokenized text: {@code input_ids}, {@code attention_mask} (1 for tokens including eos, 0 for padding)
     * and how many content ids truncation dropped.
     */
    public record Encoding(int[] inputIds, int[] attentionMask, int droppedTokens) {
    }

    private final SentencePieceProcessor spModel;
    private final Map<String, AddedToken> addedTokens;
    /** Added tokens by first character, longest first. */
    private final Map<Character, List<AddedToken>> addedByFirstChar = new HashMap<>();
    private final int eosTokenId;
    private final int padTokenId;
    private final int modelMaxLength;
    private final int size;

    T5Tokenizer(SentencePieceProcessor spModel, List<AddedToken> added, String eosToken, String padToken, int modelMaxLength) {
        this.spModel = spModel;
        this.addedTokens = new LinkedHashMap<>();
        for (AddedToken t : added) {
            addedTokens.put(t.content(), t);
            addedByFirstChar.computeIfAbsent(t.content().charAt(0), c -> new ArrayList<>()).add(t);
        }
        addedByFirstChar.values().forEach(l -> l.sort(Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed()));
        this.eosTokenId = tokenToId(eosToken);
        this.padTokenId = tokenToId(padToken);
        this.modelMaxLength = modelMaxLength;
        this.size = spModel.getPieceSize() + (int) added.stream().filter(t -> t.id() >= spModel.getPieceSize()).count();
    }

    /**
     * Loads a tokenizer folder: {@code spiece.model} and, when present, {@code tokenizer_config.json}
     * ({@code added_tokens_decoder}, {@code eos_token}, {@code pad_token}, {@code extra_ids}, {@code model_max_length}).
     * Without the config, T5Tokenizer's defaults apply: 100 extra ids, {@code <extra_id_i>} at
     * {@code pieces - 1 + 100 - i}, with lstrip and rstrip.
     */
    public static T5Tokenizer fromPretrained(Path tokenizerDir) {
        Path spiece = tokenizerDir.resolve("spiece.model");
        SentencePieceProcessor sp = SentencePieceProcessor.load(spiece);
        Path configFile = tokenizerDir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(configFile)) {
            return new T5Tokenizer(sp, defaultAddedTokens(sp, 100), "</s>", "<pad>", Integer.MAX_VALUE);
        }
        JsonConfig config = JsonConfig.read(configFile);
        JsonNode decoder = config.root().path("added_tokens_decoder");
        List<AddedToken> added = new ArrayList<>();
        if (decoder.isObject()) {
            for (Map.Entry<String, JsonNode> e : decoder.properties()) {
                JsonNode t = e.getValue();
                if (t.path("single_word").asBoolean(false)) {
                    throw new ModelFormatException(configFile + ": added token " + t.path("content") + " is single_word, which T5 tokenizers do not use");
                }
                added.add(new AddedToken(t.path("content").asText(), Integer.parseInt(e.getKey()),
                        t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false)));
            }
        } else {
            added = defaultAddedTokens(sp, config.getInt("extra_ids", 100));
        }
        for (AddedToken t : added) {
            if (t.content().isEmpty()) {
                throw new ModelFormatException(configFile + ": added token " + t.id() + " has empty content");
            }
        }
        return new T5Tokenizer(sp, added, tokenName(config, "eos_token", "</s>"), tokenName(config, "pad_token", "<pad>"),
                config.getInt("model_max_length", Integer.MAX_VALUE));
    }

    /** The tokens T5Tokenizer registers itself: pad/eos/unk at their SentencePiece ids, then the extra ids. */
    private static List<AddedToken> defaultAddedTokens(SentencePieceProcessor sp, int extraIds) {
        List<AddedToken> added = new ArrayList<>();
        for (String special : List.of("<pad>", "</s>", "<unk>")) {
            added.add(new AddedToken(special, sp.pieceToId(special), false, false));
        }
        for (int i = 0; i < extraIds; i++) {
            added.add(new AddedToken("<extra_id_" + i + ">", sp.getPieceSize() - 1 + extraIds - i, true, true));
        }
        return added;
    }

    /** A special token given either as a string or as an {@code AddedToken} object with {@code content}. */
    private static String tokenName(JsonConfig config, String key, String dflt) {
        JsonNode n = config.root().path(key);
        return n.isTextual() ? n.asText() : n.path("content").asText(dflt);
    }

    /** {@code tokenizer.tokenize(text)}: added tokens whole, every other chunk as SentencePiece pieces. */
    public List<String> tokenize(String text) {
        // 1. Split on added tokens (leftmost match, longest at a position).
        List<String> chunks = splitOnAddedTokens(text);
        // 2. Strip the whitespace an added token's lstrip/rstrip asks for, on the chunks next to it.
        for (int i = 0; i < chunks.size(); i++) {
            AddedToken t = addedTokens.get(chunks.get(i));
            if (t == null) {
                continue;
            }
            if (t.rstrip() && i + 1 < chunks.size()) {
                chunks.set(i + 1, pyStrip(chunks.get(i + 1), true, false));
            }
            if (t.lstrip() && i > 0) {
                chunks.set(i - 1, pyStrip(chunks.get(i - 1), false, true));
            }
        }
        // 3. Added tokens as they are, other non-empty chunks through SentencePiece.
        List<String> tokens = new ArrayList<>();
        for (String chunk : chunks) {
            if (chunk.isEmpty()) {
                continue;
            }
            if (addedTokens.containsKey(chunk)) {
                tokens.add(chunk);
            } else {
                spModel.encode(chunk).forEach(p -> tokens.add(p.piece()));
            }
        }
        return tokens;
    }

    /** {@code convert_tokens_to_ids}: added tokens first, then SentencePiece's {@code piece_to_id}. */
    public int[] convertTokensToIds(List<String> tokens) {
        return tokens.stream().mapToInt(this::tokenToId).toArray();
    }

    /** {@code tokenizer(text).input_ids}: content ids plus eos, no truncation, no padding. */
    public int[] encode(String text) {
        return withEos(convertTokensToIds(tokenize(text)));
    }

    /**
     * {@code tokenizer(text, padding="max_length", max_length=maxLength, truncation=True)}. Truncation keeps the
     * first {@code maxLength - 1} content ids; {@link Encoding#droppedTokens()} says how many were cut.
     */
    public Encoding encode(String text, int maxLength) {
        if (maxLength < 1) {
            throw new IllegalArgumentException("max_length must be at least 1, got " + maxLength);
        }
        int[] content = convertTokensToIds(tokenize(text));
        // 1. Truncation: room is reserved for the one special token (eos) T5 adds.
        int remove = content.length + 1 - maxLength;
        int dropped = 0;
        if (remove > 0 && content.length > remove) {
            content = Arrays.copyOf(content, content.length - remove);
            dropped = remove;
        } else if (remove > 0) {
            LOG.log(System.Logger.Level.ERROR, "cannot truncate {0} content tokens to max_length {1}; keeping them all",
                    content.length, maxLength);
        }
        // 2. eos, then right padding.
        int[] ids = withEos(content);
        int total = Math.max(ids.length, maxLength);
        int[] inputIds = Arrays.copyOf(ids, total);
        int[] mask = new int[total];
        Arrays.fill(inputIds, ids.length, total, padTokenId);
        Arrays.fill(mask, 0, ids.length, 1);
        return new Encoding(inputIds, mask, dropped);
    }

    /** Every text encoded with {@link #encode(String, int)}: rows of equal length {@code maxLength}. */
    public List<Encoding> encode(List<String> texts, int maxLength) {
        return texts.stream().map(t -> encode(t, maxLength)).toList();
    }

    /** {@code len(tokenizer)}: SentencePiece pieces plus the added tokens outside them. */
    public int size() {
        return size;
    }

    public int modelMaxLength() {
        return modelMaxLength;
    }

    public int eosTokenId() {
        return eosTokenId;
    }

    public int padTokenId() {
        return padTokenId;
    }

    public SentencePieceProcessor spModel() {
        return spModel;
    }

    private int tokenToId(String token) {
        AddedToken t = addedTokens.get(token);
        return t != null ? t.id() : spModel.pieceToId(token);
    }

    /** {@code _add_eos_if_not_present}. */
    private int[] withEos(int[] content) {
        if (content.length > 0 && content[content.length - 1] == eosTokenId) {
            return content;
        }
        int[] ids = Arrays.copyOf(content, content.length + 1);
        ids[content.length] = eosTokenId;
        return ids;
    }

    private List<String> splitOnAddedTokens(String text) {
        List<String> chunks = new ArrayList<>();
        int chunkStart = 0;
        int i = 0;
        while (i < text.length()) {
            AddedToken match = null;
            for (AddedToken t : addedByFirstChar.getOrDefault(text.charAt(i), List.of())) {
                if (text.startsWith(t.content(), i)) {
                    match = t;
                    break;
                }
            }
            if (match == null) {
                i++;
                continue;
            }
            if (i > chunkStart) {
                chunks.add(text.substring(chunkStart, i));
            }
            chunks.add(match.content());
            i += match.content().length();
            chunkStart = i;
        }
        if (chunkStart < text.length()) {
            chunks.add(text.substring(chunkStart));
        }
        return chunks;
    }

    /** Python's {@code str.lstrip()} / {@code str.rstrip()} with no arguments. */
    private static String pyStrip(String s, boolean left, boolean right) {
        int from = 0, to = s.length();
        while (left && from < to && PY_WHITESPACE.indexOf(s.charAt(from)) >= 0) {
            from++;
        }
        while (right && to > from && PY_WHITESPACE.indexOf(s.charAt(to - 1)) >= 0) {
            to--;
        }
        return s.substring(from, to);
    }
}
