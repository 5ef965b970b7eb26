package dev.cogvideox.world;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * A set of combinations written as the held-out list writes one, {@code colour shape direction background}, where
 * {@code *} stands for any value: {@code white circle * black} is a white circle on black moving any way.
 *
 * @param words the four words as given (lower case); {@code *} for any
 */
public record CombinationPattern(List<String> words) {
    /** Every combination. */
    public static final CombinationPattern ANY = new CombinationPattern(List.of("*", "*", "*", "*"));

    public CombinationPattern {
        words = List.copyOf(words);
    }

    /** Parses {@code colour shape direction background} with {@code *} wildcards; the error names {@code origin}. */
    public static CombinationPattern parse(String text, String origin) {
        String[] w = text.strip().toLowerCase(Locale.ROOT).split("\\s+");
        if (w.length != 4) {
            throw new IllegalArgumentException(origin + ": expected 'colour shape direction background' with * for any value "
                    + "(e.g. 'white circle * black'), got '" + text.strip() + "'");
        }
        check(w[0], Colour.values(), Colour::word, "colour", origin);
        check(w[1], Shape.values(), Shape::word, "shape", origin);
        check(w[2], Direction.values(), Direction::word, "direction", origin);
        check(w[3], Background.values(), Background::word, "background", origin);
        return new CombinationPattern(List.of(w));
    }

    public boolean matches(Combination c) {
        return fits(0, c.colour().word()) && fits(1, c.shape().word()) && fits(2, c.direction().word()) && fits(3, c.background().word());
    }

    /** The combinations of {@code pool} this pattern matches, in the pool's order. */
    public List<Combination> filter(List<Combination> pool) {
        return pool.stream().filter(this::matches).toList();
    }

    @Override
    public String toString() {
        return String.join(" ", words);
    }

    private boolean fits(int i, String word) {
        return words.get(i).equals("*") || words.get(i).equals(word);
    }

    private static <T> void check(String word, T[] values, Function<T, String> name, String what, String origin) {
        if (!word.equals("*")) {
            Combination.value(word, values, name, what, origin, ", or * for any");
        }
    }
}
