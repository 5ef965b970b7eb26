package dev.cogvideox.world.prompt;

import dev.cogvideox.world.Background;
import dev.cogvideox.world.Colour;
import dev.cogvideox.world.Combination;
import dev.cogvideox.world.Direction;
import dev.cogvideox.world.Shape;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Training captions: the canonical prompt ({@link Combination#prompt()}) half of the time, otherwise a harmless
 * rewording (another verb, {@code towards the left}, {@code ball} for circle, {@code grey}); every one of them
 * parses back to its combination with {@link PromptParser}.
 */
public final class Captions {
    private Captions() {
    }

    /** A caption of {@code c}, drawn from {@code random}. */
    public static String caption(Combination c, SplittableRandom random) {
        if (random.nextBoolean()) {
            return c.prompt();
        }
        return compose(pick(random, Phrasing.words(c.colour())), pick(random, Phrasing.words(c.shape())),
                pick(random, Phrasing.VERBS), pick(random, Phrasing.words(c.direction())), pick(random, Phrasing.PREPOSITIONS),
                pick(random, Phrasing.words(c.background())));
    }

    /** Every caption {@link #caption} can give for {@code c}. */
    public static List<String> all(Combination c) {
        List<String> out = new ArrayList<>();
        for (String colour : Phrasing.words(c.colour())) {
            for (String shape : Phrasing.words(c.shape())) {
                for (String verb : Phrasing.VERBS) {
                    for (String direction : Phrasing.words(c.direction())) {
                        for (String on : Phrasing.PREPOSITIONS) {
                            for (String background : Phrasing.words(c.background())) {
                                out.add(compose(colour, shape, verb, direction, on, background));
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * Every word a caption uses, and every word {@link PromptParser} reads (the articles also capitalised, as a prompt
     * starts), once each in a fixed order: the vocabulary of the world's tokenizer.
     */
    public static List<String> vocabulary() {
        java.util.Set<String> words = new java.util.LinkedHashSet<>();
        List<List<String>> phrases = new ArrayList<>(List.of(Phrasing.SUBJECT_ARTICLES, Phrasing.VERBS, Phrasing.PREPOSITIONS, List.of("background")));
        for (Colour c : Colour.values()) {
            phrases.add(Phrasing.words(c));
        }
        for (Shape s : Shape.values()) {
            phrases.add(Phrasing.words(s));
        }
        for (Direction d : Direction.values()) {
            phrases.add(Phrasing.words(d));
        }
        for (Background b : Background.values()) {
            phrases.add(Phrasing.words(b));
        }
        for (List<String> list : phrases) {
            for (String phrase : list) {
                words.addAll(List.of(phrase.split(" ")));
            }
        }
        for (String article : Phrasing.SUBJECT_ARTICLES) {
            words.add(Character.toUpperCase(article.charAt(0)) + article.substring(1));
        }
        return List.copyOf(words);
    }

    private static String compose(String colour, String shape, String verb, String direction, String on, String background) {
        return Combination.article(colour) + " " + colour + " " + shape + " " + verb + " " + direction + " " + on + " a " + background + " background";
    }

    private static String pick(SplittableRandom random, List<String> options) {
        return options.get(random.nextInt(options.size()));
    }
}
