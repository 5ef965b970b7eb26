package dev.cogvideox.world;

import java.util.Locale;

/** Where the shape moves, in image axes (x to the right, y down). */
public enum Direction {
    LEFT(-1, 0),
    RIGHT(1, 0),
    UP(0, -1),
    DOWN(0, 1);

    private final int dx, dy;

    Direction(int dx, int dy) {
        this.dx = dx;
        this.dy = dy;
    }

    public int dx() {
        return dx;
    }

    public int dy() {
        return dy;
    }

    public boolean horizontal() {
        return dx != 0;
    }

    public Direction opposite() {
        return switch (this) {
            case LEFT -> RIGHT;
            case RIGHT -> LEFT;
            case UP -> DOWN;
            case DOWN -> UP;
        };
    }

    /** The word prompts use. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
