package dev.cogvideox.world;

/** An 8-bit sRGB colour. */
public record Rgb(int r, int g, int b) {
    public Rgb {
        if ((r | g | b) < 0 || r > 255 || g > 255 || b > 255) {
            throw new IllegalArgumentException("RGB components must be in [0, 255], got " + r + ", " + g + ", " + b);
        }
    }

    /** Euclidean distance in 8-bit RGB units to the colour {@code (r, g, b)}, which may be fractional. */
    public double distance(double r, double g, double b) {
        double dr = this.r - r, dg = this.g - g, db = this.b - b;
        return Math.sqrt(dr * dr + dg * dg + db * db);
    }

    public double distance(Rgb o) {
        return distance(o.r, o.g, o.b);
    }

    /** The value among {@code values} whose colour is nearest to {@code (r, g, b)} (the first of equals). */
    static <T> T nearest(T[] values, java.util.function.Function<T, Rgb> colour, double r, double g, double b) {
        T best = null;
        double bestD = Double.POSITIVE_INFINITY;
        for (T v : values) {
            double d = colour.apply(v).distance(r, g, b);
            if (d < bestD) {
                bestD = d;
                best = v;
            }
        }
        return best;
    }
}
