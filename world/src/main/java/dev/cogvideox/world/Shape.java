package dev.cogvideox.world;

import java.util.Locale;

/** The shapes, always upright: squares axis-aligned, triangles (isosceles, base as wide as they are tall) pointing up. */
public enum Shape {
    CIRCLE,
    SQUARE,
    TRIANGLE;

    /** The word prompts use. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
