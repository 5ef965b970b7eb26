package dev.cogvideox.world;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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

    /** The inverse of {@link #words()}; the error names {@code origin}. */
    public static Combination parseWords(String line, String origin) {
        String[] w = line.strip().toUpperCase(Locale.ROOT).split("\\s+");
        if (w.length != 4) {
            throw new IllegalArgumentException(origin + ": expected 'colour shape direction background' (e.g. 'red circle left black'), got '" + line.strip() + "'");
        }
        try {
            return new Combination(Colour.valueOf(w[0]), Shape.valueOf(w[1]), Direction.valueOf(w[2]), Background.valueOf(w[3]));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(origin + ": '" + line.strip() + "' names an unknown value (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public String toString() {
        return words();
    }
}
