package dev.cogvideox.world.prompt;

import dev.cogvideox.world.Background;
import dev.cogvideox.world.Colour;
import dev.cogvideox.world.Combination;
import dev.cogvideox.world.Direction;
import dev.cogvideox.world.Shape;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Reads a prompt of the world back into its {@link Combination}: {@code [a|an|the] COLOUR SHAPE VERB DIRECTION
 * (on|against|over) [a|an|the] BACKGROUND background[.]}, with every wording {@link Captions} uses (case, repeated
 * spaces and a final full stop do not matter). Anything else is an error that says what was expected where.
 */
public final class PromptParser {
    private PromptParser() {
    }

    /** The combination {@code prompt} describes. */
    public static Combination parse(String prompt) {
        String text = prompt.strip().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        if (text.endsWith(".")) {
            text = text.substring(0, text.length() - 1).strip();
        }
        Cursor c = new Cursor(prompt, text);
        c.optional(Phrasing.SUBJECT_ARTICLES);
        Colour colour = c.one("a colour", Colour.values(), Phrasing::words);
        Shape shape = c.one("a shape", Shape.values(), Phrasing::words);
        c.required("a verb", Phrasing.VERBS);
        Direction direction = c.one("a direction", Direction.values(), Phrasing::words);
        c.required("'on'", Phrasing.PREPOSITIONS);
        c.optional(Phrasing.SUBJECT_ARTICLES);
        Background background = c.one("a background colour", Background.values(), Phrasing::words);
        c.required("'background'", List.of("background"));
        if (!c.rest.isEmpty()) {
            throw c.error("the end of the prompt");
        }
        return new Combination(colour, shape, direction, background);
    }

    /** Whether {@code prompt} is one {@link #parse} reads. */
    public static boolean parses(String prompt) {
        try {
            parse(prompt);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The unread part of the prompt, consumed phrase by phrase (longest phrase first). */
    private static final class Cursor {
        final String prompt;
        String rest;

        Cursor(String prompt, String text) {
            this.prompt = prompt;
            this.rest = text;
        }

        boolean optional(List<String> phrases) {
            return take(phrases) != null;
        }

        void required(String what, List<String> phrases) {
            if (take(phrases) == null) {
                throw error(what + " (" + String.join(", ", phrases) + ")");
            }
        }

        <T> T one(String what, T[] values, Function<T, List<String>> words) {
            List<String> all = new ArrayList<>();
            T best = null;
            String bestPhrase = "";
            for (T v : values) {
                for (String w : words.apply(v)) {
                    all.add(w);
                    if (starts(w) && w.length() > bestPhrase.length()) {
                        best = v;
                        bestPhrase = w;
                    }
                }
            }
            if (best == null) {
                throw error(what + " (" + String.join(", ", all) + ")");
            }
            advance(bestPhrase);
            return best;
        }

        private String take(List<String> phrases) {
            String best = null;
            for (String p : phrases) {
                if (starts(p) && (best == null || p.length() > best.length())) {
                    best = p;
                }
            }
            if (best != null) {
                advance(best);
            }
            return best;
        }

        private boolean starts(String phrase) {
            return rest.equals(phrase) || rest.startsWith(phrase + " ");
        }

        private void advance(String phrase) {
            rest = rest.substring(phrase.length()).strip();
        }

        IllegalArgumentException error(String expected) {
            return new IllegalArgumentException("prompt '" + prompt.strip() + "': expected " + expected + " at '" + rest
                    + "'; the world's prompts read 'a red circle moving left on a black background'");
        }
    }
}
