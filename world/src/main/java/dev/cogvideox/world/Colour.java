package dev.cogvideox.world;

import java.util.Locale;

/**
 * The colours a shape can have. The values are far apart (the closest pair, orange and yellow, are 102 RGB units
 * apart) and far from every {@link Background} (the closest, purple on gray, 122 units), so that a detector can tell
 * them apart in a blurry generated video.
 */
public enum Colour {
    RED(220, 20, 20),
    GREEN(20, 180, 40),
    BLUE(40, 80, 255),
    YELLOW(255, 230, 0),
    WHITE(255, 255, 255),
    ORANGE(255, 128, 0),
    PURPLE(150, 40, 210);

    private final Rgb rgb;

    Colour(int r, int g, int b) {
        this.rgb = new Rgb(r, g, b);
    }

    public Rgb rgb() {
        return rgb;
    }

    /** The word prompts use. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The palette colour nearest to {@code (r, g, b)} (8-bit units). */
    public static Colour nearest(double r, double g, double b) {
        return Rgb.nearest(values(), Colour::rgb, r, g, b);
    }
}
