package dev.cogvideox.model.cache;

import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;

import java.util.Locale;

/**
 * A step-cache choice as the command line spells it: {@code none}, {@code teacache:THRESHOLD} (e.g.
 * {@code teacache:0.15}), {@code pab} or {@code pab:SKIP} or {@code pab:SKIP:LOW-HIGH} (diffusers' defaults: skip 2,
 * timesteps 100-800). {@link #start} makes the cache for one generation.
 */
public record CacheSetting(String text, Kind kind, double threshold, int skipRange, long low, long high) {
    public enum Kind { NONE, TEACACHE, PAB }

    public static final CacheSetting NONE = new CacheSetting("none", Kind.NONE, 0, 0, 0, 0);

    /** Parses a setting; the message of the exception says what is wrong and what is taken. */
    public static CacheSetting parse(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        String[] parts = s.split(":", -1);
        try {
            switch (parts[0]) {
                case "none", "off" -> {
                    if (parts.length == 1) {
                        return NONE;
                    }
                }
                case "teacache" -> {
                    if (parts.length == 2) {
                        double t = Double.parseDouble(parts[1]);
                        if (!(t >= 0 && t <= TeaCache.MAX_THRESHOLD)) {
                            throw new IllegalArgumentException("'" + text + "': the TeaCache threshold must be in [0, " + TeaCache.MAX_THRESHOLD
                                    + "] (0.1 to 0.3 are the published settings; 0 computes every step)");
                        }
                        return new CacheSetting(s, Kind.TEACACHE, t, 0, 0, 0);
                    }
                }
                case "pab" -> {
                    if (parts.length <= 3) {
                        int skip = parts.length >= 2 ? Integer.parseInt(parts[1]) : 2;
                        long low = 100, high = 800;
                        if (parts.length == 3) {
                            String[] range = parts[2].split("-", -1);
                            if (range.length != 2) {
                                throw new IllegalArgumentException("'" + text + "': the timestep range is LOW-HIGH, e.g. 100-800");
                            }
                            low = Long.parseLong(range[0]);
                            high = Long.parseLong(range[1]);
                        }
                        if (skip < 1 || skip > 1000) {
                            throw new IllegalArgumentException("'" + text + "': the PAB skip range must be in [1, 1000] (2 recomputes every other step)");
                        }
                        if (low < 0 || high > 1000 || low >= high) {
                            throw new IllegalArgumentException("'" + text + "': the PAB timestep range must satisfy 0 <= LOW < HIGH <= 1000");
                        }
                        return new CacheSetting(s, Kind.PAB, 0, skip, low, high);
                    }
                }
                default -> {
                }
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "': not a number where one is expected (" + e.getMessage() + ")");
        }
        throw new IllegalArgumentException("'" + text + "' is not a cache setting: use none, teacache:THRESHOLD (e.g. teacache:0.15), "
                + "pab, pab:SKIP or pab:SKIP:LOW-HIGH (e.g. pab:2:100-800)");
    }

    public boolean enabled() {
        return kind != Kind.NONE;
    }

    /** The cache for one generation on a model of {@code cfg}, or null for {@link Kind#NONE}. */
    public CachingStep start(CogVideoXTransformerConfig cfg) {
        return switch (kind) {
            case NONE -> null;
            case TEACACHE -> new TeaCache(text, threshold, cfg);
            case PAB -> new PyramidAttentionBroadcast(text, skipRange, low, high, cfg);
        };
    }

    @Override
    public String toString() {
        return text;
    }
}
