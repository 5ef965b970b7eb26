package dev.cogvideox.io;

import java.util.Locale;

/**
 * Range checks of config values, with messages that name the key, the value, the allowed range and what the key
 * means. The config records call these from their constructors (an {@link IllegalArgumentException}); their
 * {@code read} methods put the file in front ({@link ModelFormatException}).
 */
public final class ConfigRange {
    private ConfigRange() {
    }

    /** {@code min <= value <= max}. */
    public static int intIn(String key, int value, int min, int max, String meaning) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "key '%s' is %d, allowed %d to %d (%s)", key, value, min, max, meaning));
        }
        return value;
    }

    /** A finite value in the open interval {@code (0, max)}. */
    public static double positive(String key, double value, double max, String meaning) {
        if (!(value > 0 && value < max)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "key '%s' is %s, allowed above 0 and below %s (%s)",
                    key, value, max, meaning));
        }
        return value;
    }

    /** {@code value} a multiple of {@code of} (which is positive). */
    public static int multipleOf(String key, int value, int of, String ofName, String meaning) {
        if (value % of != 0) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "key '%s' is %d, must be a multiple of %s%d (%s)",
                    key, value, ofName.isEmpty() ? "" : ofName + " ", of, meaning));
        }
        return value;
    }
}
