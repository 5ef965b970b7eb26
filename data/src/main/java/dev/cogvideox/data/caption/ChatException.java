package dev.cogvideox.data.caption;

/** A chat request that did not give an answer (after its retries): the message is the one-line reason, naming the server. */
public final class ChatException extends Exception {
    public ChatException(String message) {
        super(message);
    }

    public ChatException(String message, Throwable cause) {
        super(message, cause);
    }
}
