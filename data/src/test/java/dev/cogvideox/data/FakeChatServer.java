package dev.cogvideox.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for the vision and language models: an OpenAI-compatible chat server on loopback (the JDK's HTTP server)
 * whose answers name the colour of the frames it is sent (the mean colour of the first image; for the summary, the
 * colour its notes name), and which misbehaves for the colours told to: 500s, garbage, a low score, or no answer in
 * time. It counts the requests it got by colour and kind (short, dense, summary, score, enhance).
 */
public final class FakeChatServer implements AutoCloseable {
    public enum Mode { OK, ERROR_500, GARBAGE, LOW_SCORE, TIMEOUT }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern COLOUR = Pattern.compile("\\b(red|green|blue|yellow|magenta|cyan|grey)\\b");

    private final HttpServer server;
    private final Map<String, Mode> modes = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private volatile long timeoutMillis = 3000;

    public FakeChatServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/chat/completions", this::handle);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    public FakeChatServer mode(String colour, Mode mode) {
        modes.put(colour, mode);
        return this;
    }

    /** How long a TIMEOUT answer takes. */
    public FakeChatServer timeoutMillis(long millis) {
        timeoutMillis = millis;
        return this;
    }

    /** Requests of {@code kind} about {@code colour} so far. */
    public int count(String colour, String kind) {
        AtomicInteger n = counts.get(colour + "/" + kind);
        return n == null ? 0 : n.get();
    }

    public int total() {
        return counts.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
            JsonNode messages = body.path("messages");
            String system = messages.path(0).path("content").asText("");
            JsonNode user = messages.path(messages.size() - 1).path("content");
            List<JsonNode> images = user.isArray() ? user.findValues("image_url").stream().toList() : List.of();
            String text = user.isArray() ? user.path(user.size() - 1).path("text").asText("") : user.asText("");
            String kind = system.contains("short idea") ? "enhance" : text.contains("Rate its") ? "score"
                    : !images.isEmpty() ? (text.contains("one sentence") ? "short" : "dense") : "summary";
            String colour = images.isEmpty() ? firstColour(text) : colourOf(images.getFirst().path("url").asText());
            counts.computeIfAbsent(colour + "/" + kind, k -> new AtomicInteger()).incrementAndGet();
            Mode mode = kind.equals("enhance") ? Mode.OK : modes.getOrDefault(colour, Mode.OK);
            switch (mode) {
                case ERROR_500 -> send(ex, 500, "{\"error\": \"the model crashed\"}");
                case GARBAGE -> send(ex, 200, "<html>502 Bad Gateway</html>");
                case TIMEOUT -> {
                    try {
                        Thread.sleep(timeoutMillis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    send(ex, 200, completion("late"));
                }
                default -> send(ex, 200, completion(answer(kind, colour, mode, text, images.size())));
            }
        }
    }

    private static String answer(String kind, String colour, Mode mode, String text, int images) {
        return switch (kind) {
            case "score" -> mode == Mode.LOW_SCORE ? "Score: 3/10" : "7";
            case "short" -> "A " + colour + " rippled texture drifts across the view (" + images + " frames).";
            case "dense" -> "A close view of a " + colour + " rippled texture, lit evenly.";
            case "enhance" -> "In a detailed scene, " + text.strip() + ", seen in warm light as the camera glides along.";
            default -> "A " + colour + " rippled texture fills the view and drifts steadily as the camera pans; "
                    + (text.split("At ", -1).length - 1) + " moments described.";
        };
    }

    private static String completion(String content) {
        ObjectNode root = JSON.createObjectNode();
        root.put("id", "chatcmpl-test").put("object", "chat.completion");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0).put("finish_reason", "stop");
        choice.putObject("message").put("role", "assistant").put("content", content);
        return root.toString();
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        } catch (IOException gone) {
            // the client gave up (its timeout)
        }
    }

    private static String firstColour(String text) {
        Matcher m = COLOUR.matcher(text);
        return m.find() ? m.group(1) : "none";
    }

    /** The colour name of a data URI's image: which channels of its mean are at least 0.6 of the largest. */
    static String colourOf(String dataUri) throws IOException {
        byte[] bytes = Base64.getDecoder().decode(dataUri.substring(dataUri.indexOf(',') + 1));
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
        double[] mean = new double[3];
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y);
                mean[0] += (rgb >> 16) & 0xff;
                mean[1] += (rgb >> 8) & 0xff;
                mean[2] += rgb & 0xff;
            }
        }
        double max = Math.max(mean[0], Math.max(mean[1], mean[2]));
        boolean r = mean[0] >= 0.6 * max, g = mean[1] >= 0.6 * max, b = mean[2] >= 0.6 * max;
        if (r && g && b) {
            return "grey";
        }
        return r && g ? "yellow" : r && b ? "magenta" : g && b ? "cyan" : r ? "red" : g ? "green" : "blue";
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
