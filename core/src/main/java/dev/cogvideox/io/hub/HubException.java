package dev.cogvideox.io.hub;

/** A model cannot be found or fetched; the message says where we looked or what the hub answered, and what to do. */
public class HubException extends RuntimeException {
    public HubException(String message) {
        super(message);
    }

    public HubException(String message, Throwable cause) {
        super(message, cause);
    }
}
