package dev.cogvideox.world.eval;

import dev.cogvideox.world.detect.ClipDetection;

/** One evaluated video: its prompt and seed, what the detector saw, and how long making it took. */
public record VideoScore(EvalPrompt prompt, long seed, ClipDetection detected, double seconds) {
    public boolean colourRight() {
        return detected.colour() == prompt.expected().colour();
    }

    public boolean shapeRight() {
        return detected.shape() == prompt.expected().shape();
    }

    public boolean directionRight() {
        return detected.direction() == prompt.expected().direction();
    }

    public boolean allRight() {
        return colourRight() && shapeRight() && directionRight();
    }

    /** A shape was found in at least half the frames. */
    public boolean shapeFound() {
        return detected.colour() != null;
    }
}
