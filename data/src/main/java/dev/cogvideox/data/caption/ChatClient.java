package dev.cogvideox.data.caption;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.Serializable;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A client of an OpenAI-compatible chat completions server ({@code POST /v1/chat/completions}): one request, the
 * answer's text ({@code choices[0].message.content}). A request already answered comes from the {@link ResponseCache};
 * others wait for the {@link RateLimiter}, and a timeout, a connection failure, 429 or 5xx is tried again after a
 * growing pause (0.5 s, 1 s, 2 s, ... by default). What cannot be answered is a {@link ChatException} with the reason.
 */
public final class ChatClient {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /**
     * How to ask: the timeout of one request, how many times to try again, the first pause (doubled each time),
     * requests a minute per server and JVM (0: no limit), the cache folder (null: none).
     */
    public record Settings(double timeoutSeconds, int retries, double backoffSeconds, double requestsPerMinute, String cacheDir) implements Serializable {
        public static Settings defaults(Path cacheDir) {
            return new Settings(120, 3, 0.5, 0, cacheDir == null ? null : cacheDir.toString());
        }
    }

    private final Endpoint endpoint;
    private final Settings settings;
    private final ResponseCache cache;
    private final RateLimiter limiter;

    public ChatClient(Endpoint endpoint, Settings settings) {
        this.endpoint = endpoint;
        this.settings = settings;
        this.cache = settings.cacheDir() == null ? null : new ResponseCache(Path.of(settings.cacheDir()));
        this.limiter = RateLimiter.of(endpoint.completions().toString(), settings.requestsPerMinute());
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    /** A request body: the model, {@code messages}, at most {@code maxTokens} tokens, temperature 0 (the same answer again). */
    public ObjectNode request(ArrayNode messages, int maxTokens) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", endpoint.model());
        body.set("messages", messages);
        body.put("max_tokens", maxTokens);
        body.put("temperature", 0);
        return body;
    }

    /** The answer's text to {@code body}, from the cache or the server. */
    public String complete(ObjectNode body) throws ChatException {
        String text = body.toString();
        String url = endpoint.completions().toString();
        String key = ResponseCache.key(url, text);
        if (cache != null) {
            Optional<String> hit = cache.get(key);
            if (hit.isPresent()) {
                return hit.get();
            }
        }
        String answer = ask(text);
        if (cache != null) {
            cache.put(key, answer);
        }
        return answer;
    }

    private String ask(String body) throws ChatException {
        HttpRequest.Builder b = HttpRequest.newBuilder(endpoint.completions())
                .timeout(Duration.ofMillis((long) (settings.timeoutSeconds() * 1000)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (endpoint.apiKey() != null && !endpoint.apiKey().isBlank()) {
            b.header("Authorization", "Bearer " + endpoint.apiKey());
        }
        HttpRequest request = b.build();
        String last = null;
        for (int attempt = 0; attempt <= settings.retries(); attempt++) {
            if (attempt > 0) {
                pause((long) (settings.backoffSeconds() * 1000 * (1L << Math.min(attempt - 1, 10))));
            }
            try {
                if (limiter != null) {
                    limiter.acquire();
                }
                HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 429 || r.statusCode() >= 500) {
                    last = "HTTP " + r.statusCode() + " " + snippet(r.body());
                    continue;
                }
                if (r.statusCode() != 200) {
                    throw new ChatException(endpoint + " refused the request: HTTP " + r.statusCode() + " " + snippet(r.body()));
                }
                return content(r.body());
            } catch (HttpTimeoutException e) {
                last = "no answer within " + settings.timeoutSeconds() + " s";
            } catch (IOException e) {
                last = "cannot reach it (" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ChatException(endpoint + ": interrupted", e);
            }
        }
        throw new ChatException(endpoint + ": " + last + (settings.retries() > 0 ? " (tried " + (settings.retries() + 1) + " times)" : ""));
    }

    /** {@code choices[0].message.content} of an answer, or the reason it is not a chat completion. */
    private String content(String body) throws ChatException {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JacksonException e) {
            throw new ChatException(endpoint + " answered something that is not JSON: " + snippet(body));
        }
        JsonNode content = root == null ? null : root.path("choices").path(0).path("message").path("content");
        if (content == null || !content.isTextual() || content.asText().isBlank()) {
            throw new ChatException(endpoint + " answered JSON without choices[0].message.content text: " + snippet(body));
        }
        return content.asText().strip();
    }

    private static void pause(long millis) throws ChatException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ChatException("interrupted", e);
        }
    }

    /** The start of a body, on one line, for a reason. */
    static String snippet(String body) {
        if (body == null || body.isBlank()) {
            return "(empty)";
        }
        String one = body.strip().replaceAll("\\s+", " ");
        return one.length() > 120 ? "\"" + one.substring(0, 120) + "...\"" : "\"" + one + "\"";
    }
}
