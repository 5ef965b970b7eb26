package dev.cogvideox.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cogvideox.verify.GoldenSuite;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/** A service on a free loopback port over a fresh data folder, and a real HTTP client for it. */
final class TestService implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final GenerationService service;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    final String base;
    private final String token;

    TestService(GenerationService service, String token) {
        this(service, token, "http://127.0.0.1:" + service.port());
    }

    /** A client of a service elsewhere (another process): {@code service} is null. */
    TestService(GenerationService service, String token, String base) {
        this.service = service;
        this.base = base;
        this.token = token;
    }

    /** A fixture model folder ({@code tiny-cogvideox-2b}: 9 frames of 64x64, a run of a few steps takes a second). */
    static Path fixtureModel(String name) {
        return GoldenSuite.defaultFixtureRoot().resolve("models").resolve(name);
    }

    static TestService start(Path data, String token, int maxQueue, String... models) {
        ServeConfig.Limits d = ServeConfig.Limits.defaults();
        ServeConfig.Limits limits = new ServeConfig.Limits(d.maxPromptChars(), maxQueue, 1 << 20, d.maxSteps(), d.maxFrames(), d.maxSide());
        List<String> specs = java.util.Arrays.stream(models).map(m -> fixtureModel(m).toString()).toList();
        return new TestService(GenerationService.start(new ServeConfig("127.0.0.1", 0, specs, data, token, 1, limits)), token);
    }

    record Reply(int status, JsonNode json, String text, HttpResponse<byte[]> raw) {
    }

    Reply send(String method, String path, String contentType, byte[] body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (body != null && body.length > 65536) {
            b.expectContinue(true);                     // as browsers and curl do: a refused large body is never sent
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            String text = new String(r.body(), java.nio.charset.StandardCharsets.UTF_8);
            JsonNode json = null;
            if (r.headers().firstValue("Content-Type").orElse("").startsWith("application/json")) {
                json = JSON.readTree(text);
            }
            return new Reply(r.statusCode(), json, text, r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * A request whose headers announce a body of {@code length} bytes with {@code Expect: 100-continue}, sent over a
     * plain socket, and the status code and body of the server's answer read before any body byte is sent: a refusal
     * of an oversized upload must come that way (a client that streamed the body would see the server close on it).
     */
    RawReply headersOnly(String method, String path, String contentType, long length) {
        URI uri = URI.create(base + path);
        try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(30_000);
            String head = method + " " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                    + "\r\nContent-Type: " + contentType + "\r\nContent-Length: " + length + "\r\nExpect: 100-continue\r\n"
                    + (token != null ? "Authorization: Bearer " + token + "\r\n" : "") + "Connection: close\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String reply = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            int status = Integer.parseInt(reply.substring(reply.indexOf(' ') + 1, reply.indexOf(' ') + 4));
            String body = reply.contains("\r\n\r\n") ? reply.substring(reply.indexOf("\r\n\r\n") + 4) : "";
            return new RawReply(status, body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    record RawReply(int status, String body) {
    }

    Reply get(String path) {
        return send("GET", path, null, null);
    }

    Reply post(String path, String json) {
        return send("POST", path, "application/json", json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    Reply delete(String path) {
        return send("DELETE", path, null, null);
    }

    /** Polls a job until {@code done} holds (or fails after the timeout). */
    JsonNode await(String id, Predicate<JsonNode> done, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        JsonNode j = null;
        while (System.nanoTime() < end) {
            j = get("/api/jobs/" + id).json();
            if (done.test(j)) {
                return j;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("job " + id + " did not get there in " + timeout + "; last seen: " + j);
    }

    static boolean finished(JsonNode job) {
        String s = job.path("state").asText();
        return !s.equals("queued") && !s.equals("running");
    }

    @Override
    public void close() {
        if (service != null) {
            service.close();
        }
    }
}
