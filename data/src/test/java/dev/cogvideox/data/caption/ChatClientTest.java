package dev.cogvideox.data.caption;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cogvideox.io.video.RgbImage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The chat client against a scripted server on loopback: retries, what is not retried, timeouts, garbage, the cache, the rate limit. */
class ChatClientTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** One scripted answer: a status, a body, and a delay before it. */
    record Answer(int status, String body, long delayMillis) {
    }

    private HttpServer server;
    private final Queue<Answer> script = new ConcurrentLinkedQueue<>();
    private final Queue<JsonNode> requests = new ConcurrentLinkedQueue<>();
    private final Queue<String> authorizations = new ConcurrentLinkedQueue<>();
    private final AtomicInteger hits = new AtomicInteger();

    static String completion(String content) {
        return "{\"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": " + JSON.valueToTree(content) + "}}]}";
    }

    private String start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/chat/completions", this::handle);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            hits.incrementAndGet();
            requests.add(JSON.readTree(ex.getRequestBody().readAllBytes()));
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            authorizations.add(auth == null ? "(none)" : auth);
            Answer a = script.isEmpty() ? new Answer(200, completion("ok"), 0) : script.poll();
            if (a.delayMillis() > 0) {
                try {
                    Thread.sleep(a.delayMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] b = a.body().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(a.status(), b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            } catch (IOException gone) {
                // the client timed out
            }
        }
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private static ChatClient client(String url, double timeout, int retries, double perMinute, Path cache) {
        return new ChatClient(new Endpoint(url, "m", "k-123"), new ChatClient.Settings(timeout, retries, 0.01, perMinute, cache == null ? null : cache.toString()));
    }

    private static ArrayNode ask(String text) {
        ArrayNode m = JSON.createArrayNode();
        m.addObject().put("role", "user").put("content", text);
        return m;
    }

    @Test
    void triesAgainAfter5xxAnd429AndSendsTheRequestAsOpenAiDoes() throws Exception {
        String url = start();
        script.add(new Answer(500, "{\"error\": \"boom\"}", 0));
        script.add(new Answer(429, "slow down", 0));
        script.add(new Answer(200, completion("  a red ball  "), 0));
        ChatClient c = client(url, 5, 2, 0, null);
        assertThat(c.complete(c.request(ask("hello"), 16))).isEqualTo("a red ball");
        assertThat(hits.get()).isEqualTo(3);
        JsonNode sent = requests.peek();
        assertThat(sent.path("model").asText()).isEqualTo("m");
        assertThat(sent.path("max_tokens").asInt()).isEqualTo(16);
        assertThat(sent.path("messages").path(0).path("content").asText()).isEqualTo("hello");
        assertThat(authorizations).containsOnly("Bearer k-123");
    }

    @Test
    void givesUpWithTheReasonAfterItsRetries() throws Exception {
        String url = start();
        for (int i = 0; i < 3; i++) {
            script.add(new Answer(503, "<h1>down for maintenance</h1>", 0));
        }
        ChatClient c = client(url, 5, 2, 0, null);
        assertThatThrownBy(() -> c.complete(c.request(ask("x"), 8))).isInstanceOf(ChatException.class)
                .hasMessage(url + "/chat/completions (model m): HTTP 503 \"<h1>down for maintenance</h1>\" (tried 3 times)");
        assertThat(hits.get()).isEqualTo(3);
    }

    @Test
    void aRefusalGarbageOrAnAnswerWithoutTextIsNotTriedAgain() throws Exception {
        String url = start();
        ChatClient c = client(url, 5, 3, 0, null);
        script.add(new Answer(400, "{\"error\": \"unknown model m\"}", 0));
        assertThatThrownBy(() -> c.complete(c.request(ask("a"), 8))).hasMessageEndingWith("refused the request: HTTP 400 \"{\"error\": \"unknown model m\"}\"");
        script.add(new Answer(200, "not json at all", 0));
        assertThatThrownBy(() -> c.complete(c.request(ask("b"), 8))).hasMessageEndingWith("answered something that is not JSON: \"not json at all\"");
        script.add(new Answer(200, "{\"choices\": []}", 0));
        assertThatThrownBy(() -> c.complete(c.request(ask("c"), 8))).hasMessageContaining("without choices[0].message.content text");
        assertThat(hits.get()).isEqualTo(3);
    }

    @Test
    void aServerThatDoesNotAnswerInTimeOrCannotBeReachedIsAReason() throws Exception {
        String url = start();
        script.add(new Answer(200, completion("late"), 1500));
        script.add(new Answer(200, completion("late"), 1500));
        ChatClient c = client(url, 0.3, 1, 0, null);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> c.complete(c.request(ask("a"), 8))).hasMessageEndingWith("no answer within 0.3 s (tried 2 times)");
        assertThat((System.nanoTime() - t0) / 1e9).as("not waiting for the server's 2 x 1.5 s").isLessThan(2.5);
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ChatClient nobody = client("http://127.0.0.1:" + port + "/v1", 1, 0, 0, null);
        assertThatThrownBy(() -> nobody.complete(nobody.request(ask("a"), 8))).hasMessageContaining(": cannot reach it (");
    }

    @Test
    void anAnswerPaidForIsNotAskedAgainAcrossClients() throws Exception {
        String url = start();
        Path cache = tmp.resolve("cache");
        ChatClient first = client(url, 5, 0, 0, cache);
        assertThat(first.complete(first.request(ask("same"), 8))).isEqualTo("ok");
        script.add(new Answer(200, completion("different"), 0));
        ChatClient again = client(url, 5, 0, 0, cache);
        assertThat(again.complete(again.request(ask("same"), 8))).isEqualTo("ok");
        assertThat(hits.get()).isEqualTo(1);
        assertThat(again.complete(again.request(ask("other"), 8))).isEqualTo("different");
        assertThat(hits.get()).isEqualTo(2);
        // a failure is not cached
        script.add(new Answer(500, "x", 0));
        assertThatThrownBy(() -> again.complete(again.request(ask("fails"), 8))).isInstanceOf(ChatException.class);
        assertThat(again.complete(again.request(ask("fails"), 8))).isEqualTo("ok");
    }

    @Test
    void theRateLimitSpacesRequests() throws Exception {
        String url = start();
        ChatClient c = client(url, 5, 0, 300, null);                  // one every 0.2 s
        long t0 = System.nanoTime();
        for (int i = 0; i < 4; i++) {
            c.complete(c.request(ask("q" + i), 8));
        }
        assertThat((System.nanoTime() - t0) / 1e9).isGreaterThanOrEqualTo(0.6);
    }

    @Test
    void theScoreIsTheFirstNumberFromOneToTenAndAnythingElseIsAReason() throws Exception {
        String url = start();
        Captioner cap = new Captioner(new Captioner.Settings(new Endpoint(url, "v", null), null, true, new ChatClient.Settings(5, 0, 0.01, 0, null)));
        List<Captioner.Frame> frames = List.of(new Captioner.Frame(new RgbImage(4, 4, new byte[48]), 0));
        script.add(new Answer(200, completion("Score: 3/10"), 0));
        assertThat(cap.score(frames)).isEqualTo(3.0);
        script.add(new Answer(200, completion("8.5"), 0));
        assertThat(cap.score(frames)).isEqualTo(8.5);
        script.add(new Answer(200, completion("I cannot rate videos."), 0));
        assertThatThrownBy(() -> cap.score(frames)).hasMessageEndingWith("gave no score from 1 to 10: \"I cannot rate videos.\"");
        JsonNode image = requests.peek().path("messages").path(1).path("content").path(0);
        assertThat(image.path("type").asText()).isEqualTo("image_url");
        assertThat(image.path("image_url").path("url").asText()).startsWith("data:image/jpeg;base64,/9j/");   // a JPEG's first bytes
    }

    @Test
    void theEnhancerSendsItsInstructionsAnExampleAndThePromptAndReturnsOneParagraph() throws Exception {
        String url = start();
        script.add(new Answer(200, completion("\"A small red ball rolls\n\nacross a wooden floor.\""), 0));
        PromptEnhancer e = new PromptEnhancer(client(url, 5, 0, 0, null));
        assertThat(e.enhance("  a red ball rolls ")).isEqualTo("A small red ball rolls across a wooden floor.");
        JsonNode messages = requests.peek().path("messages");
        assertThat(messages).hasSize(4);
        assertThat(messages.path(0).path("role").asText()).isEqualTo("system");
        assertThat(messages.path(2).path("role").asText()).isEqualTo("assistant");
        assertThat(messages.path(3).path("content").asText()).isEqualTo("a red ball rolls");
    }
}
