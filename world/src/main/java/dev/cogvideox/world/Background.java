package dev.cogvideox.world;

import java.util.Locale;

/** The plain backgrounds. None equals a {@link Colour}, so a shape never disappears into its background. */
public enum Background {
    BLACK(0, 0, 0),
    GRAY(128, 128, 128),
    NAVY(0, 0, 128);

    private final Rgb rgb;

    Background(int r, int g, int b) {
        this.rgb = new Rgb(r, g, b);
    }

    public Rgb rgb() {
        return rgb;
    }

    /** The word prompts use ({@code gray}; the parser also takes {@code grey}). */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The background nearest to {@code (r, g, b)} (8-bit units). */
    public static Background nearest(double r, double g, double b) {
        return Rgb.nearest(values(), Background::rgb, r, g, b);
    }
}
