package dev.cogvideox.tensor;

/** A computed or loaded tensor holds NaN or infinite values; the message names the tensor, the count and the likely cause. */
public class NonFiniteException extends RuntimeException {
    public NonFiniteException(String message) {
        super(message);
    }
}
