package dev.cogvideox.world.prompt;

import dev.cogvideox.world.Background;
import dev.cogvideox.world.Colour;
import dev.cogvideox.world.Direction;
import dev.cogvideox.world.Shape;

import java.util.List;

/**
 * The words and phrases the world's prompts may use for each value, the canonical one first. Training captions
 * are drawn from these ({@link Captions}) and the {@link PromptParser} reads all of them, so the two cannot drift.
 */
final class Phrasing {
    static final List<String> SUBJECT_ARTICLES = List.of("a", "an", "the");
    static final List<String> VERBS = List.of("moving", "moves", "is moving", "goes", "is going", "slides", "is sliding");
    static final List<String> PREPOSITIONS = List.of("on", "against", "over");

    private Phrasing() {
    }

    static List<String> words(Colour c) {
        return List.of(c.word());
    }

    static List<String> words(Shape s) {
        return switch (s) {
            case CIRCLE -> List.of("circle", "ball", "disc", "dot");
            case SQUARE -> List.of("square", "box");
            case TRIANGLE -> List.of("triangle");
        };
    }

    static List<String> words(Direction d) {
        return switch (d) {
            case LEFT -> List.of("left", "to the left", "towards the left", "leftwards");
            case RIGHT -> List.of("right", "to the right", "towards the right", "rightwards");
            case UP -> List.of("up", "upwards", "towards the top");
            case DOWN -> List.of("down", "downwards", "towards the bottom");
        };
    }

    static List<String> words(Background b) {
        return switch (b) {
            case GRAY -> List.of("gray", "grey");
            default -> List.of(b.word());
        };
    }
}
