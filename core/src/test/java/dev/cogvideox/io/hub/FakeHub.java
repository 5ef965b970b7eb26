package dev.cogvideox.io.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A local stand-in for the hub: the revision API, {@code resolve} URLs (small files answered directly with a
 * git-sha1 ETag, LFS files redirected with {@code X-Linked-Etag} to a "CDN" on another host name, 127.0.0.1,
 * that honours Range requests), and switches to cut a transfer once or corrupt a file.
 */
final class FakeHub implements AutoCloseable {
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    record Request(String method, String path, String range, String authorization) {
    }

    private final HttpServer server;
    private final Map<String, byte[]> files = new LinkedHashMap<>();
    private final Set<String> lfs = ConcurrentHashMap.newKeySet();
    final List<Request> requests = new CopyOnWriteArrayList<>();
    /** LFS files whose next transfer stops halfway with the connection dropped. */
    final Set<String> cutOnce = ConcurrentHashMap.newKeySet();
    /** LFS files served with one byte flipped (the etag stays that of the true content). */
    final Set<String> corrupt = ConcurrentHashMap.newKeySet();

    FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    FakeHub file(String name, byte[] content, boolean isLfs) {
        files.put(name, content);
        if (isLfs) {
            lfs.add(name);
        }
        return this;
    }

    /** The hub endpoint, named "localhost" so that the CDN (127.0.0.1) is another host. */
    URI endpoint() {
        return URI.create("http://localhost:" + server.getAddress().getPort());
    }

    static String sha256(byte[] b) {
        return hex("SHA-256", new byte[0], b);
    }

    static String gitSha1(byte[] b) {
        return hex("SHA-1", ("blob " + b.length + "\0").getBytes(StandardCharsets.US_ASCII), b);
    }

    private static String hex(String algorithm, byte[] prefix, byte[] b) {
        try {
            MessageDigest d = MessageDigest.getInstance(algorithm);
            d.update(prefix);
            return HexFormat.of().formatHex(d.digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        requests.add(new Request(ex.getRequestMethod(), path, ex.getRequestHeaders().getFirst("Range"),
                ex.getRequestHeaders().getFirst("Authorization")));
        try (ex) {
            String repoPrefix = "/org/model/resolve/";
            if (path.equals("/api/models/org/model/revision/main")) {
                StringBuilder json = new StringBuilder("{\"id\":\"org/model\",\"sha\":\"" + COMMIT + "\",\"siblings\":[");
                files.keySet().forEach(n -> json.append(json.charAt(json.length() - 1) == '[' ? "" : ",")
                        .append("{\"rfilename\":\"").append(n).append("\"}"));
                send(ex, 200, json.append("]}").toString().getBytes(StandardCharsets.UTF_8));
            } else if (path.startsWith(repoPrefix + COMMIT + "/")) {
                resolve(ex, path.substring((repoPrefix + COMMIT + "/").length()));
            } else if (path.startsWith("/cdn/")) {
                cdn(ex, path.substring("/cdn/".length()));
            } else {
                send(ex, 404, "not found".getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private void resolve(HttpExchange ex, String name) throws IOException {
        byte[] content = files.get(name);
        if (content == null) {
            send(ex, 404, new byte[0]);
        } else if (lfs.contains(name)) {
            ex.getResponseHeaders().add("X-Linked-Etag", "\"" + sha256(content) + "\"");
            ex.getResponseHeaders().add("X-Linked-Size", Long.toString(content.length));
            ex.getResponseHeaders().add("Location", "http://127.0.0.1:" + server.getAddress().getPort() + "/cdn/" + name);
            ex.sendResponseHeaders(302, -1);
        } else {
            ex.getResponseHeaders().add("ETag", "\"" + gitSha1(content) + "\"");
            send(ex, 200, content);
        }
    }

    private void cdn(HttpExchange ex, String name) throws IOException {
        byte[] content = files.get(name).clone();
        if (corrupt.contains(name)) {
            content[content.length / 2] ^= 1;
        }
        String range = ex.getRequestHeaders().getFirst("Range");
        int from = range == null ? 0 : Integer.parseInt(range.replaceAll("bytes=(\\d+)-", "$1"));
        int length = content.length - from;
        if (range != null) {
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
        }
        ex.sendResponseHeaders(range == null ? 200 : 206, length);
        OutputStream out = ex.getResponseBody();
        if (cutOnce.remove(name)) {
            out.write(content, from, length / 2);
            out.flush();
            return; // closing the exchange short of Content-Length drops the connection
        }
        out.write(content, from, length);
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().add("Content-Length", Integer.toString(body.length));
            ex.sendResponseHeaders(status, -1);
        } else {
            ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            ex.getResponseBody().write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
