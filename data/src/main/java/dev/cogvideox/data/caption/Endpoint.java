package dev.cogvideox.data.caption;

import java.io.Serializable;
import java.net.URI;

/**
 * A model server speaking OpenAI's chat completions API: its URL (the base, e.g. {@code http://host:8000/v1}, or the
 * full {@code .../chat/completions}), the model name to ask for, and an API key (null: none sent).
 */
public record Endpoint(String url, String model, String apiKey) implements Serializable {
    public Endpoint {
        if (url == null || !(url.startsWith("http://") || url.startsWith("https://"))) {
            throw new IllegalArgumentException("model server URL " + url + ": expected http://HOST:PORT/v1 (an OpenAI-compatible chat API)");
        }
        try {
            URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model server URL " + url + ": not a URL (" + e.getMessage() + ")", e);
        }
    }

    /** The chat completions URI. */
    public URI completions() {
        String u = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        return URI.create(u.endsWith("/chat/completions") ? u : u + "/chat/completions");
    }

    /** For messages: the URL and model, never the key. */
    @Override
    public String toString() {
        return completions() + " (model " + model + ")";
    }
}
