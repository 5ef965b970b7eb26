package dev.cogvideox.model.cache;

import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;

import java.nio.file.Path;
import java.util.Locale;

/**
 * A step-cache choice as the command line spells it: {@code none}, {@code teacache:THRESHOLD} (e.g.
 * {@code teacache:0.15}) or {@code teacache:THRESHOLD:FILE} (the rescaling polynomial from a {@code cache calibrate}
 * file instead of the model folder's {@value TeaCacheCoefficients#FILE} or the published one; FILE {@value #PUBLISHED}:
 * the published one of the model's variant, and {@code ./published} a file of that name), {@code pab} or
 * {@code pab:SKIP} or {@code pab:SKIP:LOW-HIGH} (diffusers' defaults: skip 2, timesteps 100-800). {@link #start}
 * makes the cache for one generation.
 *
 * @param coefficientsFile TeaCache: the file of its polynomial, or null for the model's ({@link TeaCacheCoefficients#resolve})
 */
public record CacheSetting(String text, Kind kind, double threshold, Path coefficientsFile, int skipRange, long low, long high) {
    public enum Kind { NONE, TEACACHE, PAB }

    /** In place of FILE: the published polynomial of the model's variant, even where the model folder has its own. */
    public static final String PUBLISHED = "published";

    public static final CacheSetting NONE = new CacheSetting("none", Kind.NONE, 0, null, 0, 0, 0);

    /** Parses a setting; the message of the exception says what is wrong and what is taken. */
    public static CacheSetting parse(String text) {
        String s = text.strip();
        String[] parts = s.split(":", -1);
        if (parts[0].equalsIgnoreCase("teacache") && parts.length > 3) {   // a file name may hold colons
            parts = new String[]{parts[0], parts[1], s.substring(s.indexOf(':', s.indexOf(':') + 1) + 1)};
        }
        boolean teaCacheFile = parts[0].equalsIgnoreCase("teacache") && parts.length == 3;
        for (int i = 0; i < (teaCacheFile ? 2 : parts.length); i++) {        // a file keeps its case
            parts[i] = parts[i].toLowerCase(Locale.ROOT);
        }
        try {
            switch (parts[0]) {
                case "none", "off" -> {
                    if (parts.length == 1) {
                        return NONE;
                    }
                }
                case "teacache" -> {
                    if (parts.length == 2 || parts.length == 3) {
                        double t = Double.parseDouble(parts[1]);
                        if (!(t >= 0 && t <= TeaCache.MAX_THRESHOLD)) {
                            throw new IllegalArgumentException("'" + text + "': the TeaCache threshold must be in [0, " + TeaCache.MAX_THRESHOLD
                                    + "] (0.1 to 0.3 are the published settings; 0 computes every step)");
                        }
                        if (parts.length == 3 && parts[2].isBlank()) {
                            throw new IllegalArgumentException("'" + text + "': no file after the threshold (teacache:THRESHOLD:FILE, "
                                    + "e.g. teacache:0.2:models/world-v1/teacache.json)");
                        }
                        Path file = parts.length == 3 ? Path.of(parts[2]) : null;
                        return new CacheSetting(String.join(":", parts), Kind.TEACACHE, t, file, 0, 0, 0);
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
                        return new CacheSetting(String.join(":", parts), Kind.PAB, 0, null, skip, low, high);
                    }
                }
                default -> {
                }
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "': not a number where one is expected (" + e.getMessage() + ")");
        }
        throw new IllegalArgumentException("'" + text + "' is not a cache setting: use none, teacache:THRESHOLD (e.g. teacache:0.15), teacache:THRESHOLD:FILE, "
                + "pab, pab:SKIP or pab:SKIP:LOW-HIGH (e.g. pab:2:100-800)");
    }

    public boolean enabled() {
        return kind != Kind.NONE;
    }

    /**
     * TeaCache's rescaling polynomial for the model in {@code modelDir} (null: a model without a folder, which takes the
     * published one of {@code cfg}'s variant): this setting's file, else the folder's {@value TeaCacheCoefficients#FILE},
     * else the published one. Errors name the file at fault.
     */
    public TeaCacheCoefficients coefficients(CogVideoXTransformerConfig cfg, Path modelDir) {
        if (kind != Kind.TEACACHE) {
            throw new IllegalStateException(text + " is not a TeaCache setting");
        }
        if (coefficientsFile != null && coefficientsFile.toString().equalsIgnoreCase(PUBLISHED)) {
            return TeaCacheCoefficients.published(cfg.variant());
        }
        return TeaCacheCoefficients.resolve(coefficientsFile, modelDir, cfg.variant());
    }

    /** The cache for one generation on the model of {@code cfg} in {@code modelDir}, or null for {@link Kind#NONE}. */
    public CachingStep start(CogVideoXTransformerConfig cfg, Path modelDir) {
        return switch (kind) {
            case NONE -> null;
            case TEACACHE -> new TeaCache(text, threshold, cfg, coefficients(cfg, modelDir));
            case PAB -> new PyramidAttentionBroadcast(text, skipRange, low, high, cfg);
        };
    }

    @Override
    public String toString() {
        return text;
    }
}
