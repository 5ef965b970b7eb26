package dev.cogvideox.world;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** What a clip shows and its prompt says: one shape of one colour moving one way on one background. */
public record Combination(Colour colour, Shape shape, Direction direction, Background background) {
    public Combination {
        if (colour == null || shape == null || direction == null || background == null) {
            throw new IllegalArgumentException("a combination needs a colour, a shape, a direction and a background");
        }
        if (colour.rgb().equals(background.rgb())) {
            throw new IllegalArgumentException("a " + colour.word() + " shape on a " + background.word() + " background would be invisible");
        }
    }

    /** Every combination of the world, in enum order (colour slowest, background fastest). */
    public static List<Combination> all() {
        List<Combination> all = new ArrayList<>();
        for (Colour c : Colour.values()) {
            for (Shape s : Shape.values()) {
                for (Direction d : Direction.values()) {
                    for (Background b : Background.values()) {
                        all.add(new Combination(c, s, d, b));
                    }
                }
            }
        }
        return List.copyOf(all);
    }

    /** The canonical prompt: {@code a red circle moving left on a black background} ({@code an orange ...}). */
    public String prompt() {
        return article(colour.word()) + " " + colour.word() + " " + shape.word() + " moving " + direction.word() + " on a " + background.word() + " background";
    }

    /** {@code an} before a vowel, else {@code a}. */
    public static String article(String nextWord) {
        return "aeiou".indexOf(nextWord.charAt(0)) >= 0 ? "an" : "a";
    }

    /** The four words {@code red circle left black}, as the held-out list writes a combination. */
    public String words() {
        return colour.word() + " " + shape.word() + " " + direction.word() + " " + background.word();
    }

    /** The inverse of {@link #words()}; the error names {@code origin} and the values the world has. */
    public static Combination parseWords(String line, String origin) {
        String[] w = line.strip().toLowerCase(Locale.ROOT).split("\\s+");
        if (w.length != 4) {
            throw new IllegalArgumentException(origin + ": expected 'colour shape direction background' (e.g. 'red circle left black'), got '" + line.strip() + "'");
        }
        return new Combination(value(w[0], Colour.values(), Colour::word, "colour", origin, ""), value(w[1], Shape.values(), Shape::word, "shape", origin, ""),
                value(w[2], Direction.values(), Direction::word, "direction", origin, ""), value(w[3], Background.values(), Background::word, "background", origin, ""));
    }

    /**
     * The value of {@code values} whose word is {@code word}; the error names {@code origin} and lists the words, then
     * {@code alsoAccepted} (e.g. {@code ", or * for any"}).
     */
    static <T> T value(String word, T[] values, Function<T, String> name, String what, String origin, String alsoAccepted) {
        for (T v : values) {
            if (name.apply(v).equals(word)) {
                return v;
            }
        }
        throw new IllegalArgumentException(origin + ": '" + word + "' is not a " + what + " of the world (one of "
                + String.join(", ", Arrays.stream(values).map(name).toList()) + alsoAccepted + ")");
    }

    @Override
    public String toString() {
        return words();
    }
}
