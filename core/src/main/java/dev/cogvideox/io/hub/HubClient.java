package dev.cogvideox.io.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The three hub requests a download needs: the revision's file list, a file's metadata, a file's bytes.
 * Redirects are followed here, not by {@link HttpClient}, so the token goes to the hub's host only and a HEAD
 * stops at the first redirect to another host (whose response carries the LFS file's {@code X-Linked-Etag}).
 */
final class HubClient {
    private static final int MAX_REDIRECTS = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HubSettings settings;
    private final HttpClient http;

    HubClient(HubSettings settings) {
        this.settings = settings;
        HttpClient.Builder b = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(20));
        settings.proxy().ifPresent(p -> b.proxy(java.net.ProxySelector.of(
                new java.net.InetSocketAddress(p.getHost(), p.getPort() > 0 ? p.getPort() : 80))));
        this.http = b.build();
    }

    /** The commit a revision points to and its files. */
    record Revision(String sha, List<String> files) {
    }

    /** {@code GET {endpoint}/api/models/{repo}/revision/{revision}}. */
    Revision revision(RepoId repo, String revision) throws IOException {
        URI uri = URI.create(settings.endpoint() + "/api/models/" + repo.id() + "/revision/" + encode(revision));
        HttpResponse<InputStream> r = send(uri, "GET", Optional.empty(), true);
        try (InputStream body = r.body()) {
            check(r, repo, revision, "repository info");
            JsonNode json = JSON.readTree(body);
            String sha = json.path("sha").asText("");
            if (!HubCache.isCommit(sha)) {
                throw new HubException(uri + ": the answer has no commit 'sha'");
            }
            List<String> files = new ArrayList<>();
            json.path("siblings").forEach(s -> files.add(s.path("rfilename").asText()));
            return new Revision(sha, files);
        }
    }

    /** {@code HEAD {endpoint}/{repo}/resolve/{commit}/{file}}, following redirects on the hub's own host. */
    RemoteFile head(RepoId repo, String commit, String file) throws IOException {
        URI uri = URI.create(settings.endpoint() + "/" + repo.id() + "/resolve/" + commit + "/" + encodePath(file));
        HttpResponse<InputStream> r = send(uri, "HEAD", Optional.empty(), false);
        r.body().close();
        check(r, repo, commit, file);
        HttpHeaders h = r.headers();
        String etag = h.firstValue("X-Linked-Etag").or(() -> h.firstValue("ETag"))
                .map(HubClient::unquote)
                .orElseThrow(() -> new HubException(uri + ": the hub sent no ETag for " + file));
        long size = h.firstValue("X-Linked-Size").or(() -> h.firstValue("Content-Length"))
                .map(Long::parseLong).orElse(-1L);
        URI location = h.firstValue("Location").map(l -> r.uri().resolve(l)).orElse(r.uri());
        return new RemoteFile(file, etag, size, location);
    }

    /** {@code GET} the file's bytes from {@code offset} on (a Range request when offset > 0), following redirects. */
    HttpResponse<InputStream> get(RemoteFile file, long offset) throws IOException {
        Optional<String> range = offset > 0 ? Optional.of("bytes=" + offset + "-") : Optional.empty();
        return send(file.location(), "GET", range, true);
    }

    private HttpResponse<InputStream> send(URI uri, String method, Optional<String> range, boolean followAway)
            throws IOException {
        URI current = uri;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder req = HttpRequest.newBuilder(current)
                    .method(method, HttpRequest.BodyPublishers.noBody())
                    .header("User-Agent", "cogvideox-java");
            range.ifPresent(v -> req.header("Range", v));
            if (Objects.equals(current.getHost(), settings.endpoint().getHost())) {
                settings.token().ifPresent(t -> req.header("Authorization", "Bearer " + t));
            }
            HttpResponse<InputStream> r;
            try {
                r = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            Optional<String> location = r.headers().firstValue("Location");
            if (r.statusCode() / 100 != 3 || location.isEmpty()) {
                return r;
            }
            URI next = current.resolve(location.get());
            if (!followAway && !Objects.equals(next.getHost(), current.getHost())) {
                return r;
            }
            r.body().close();
            current = next;
        }
        throw new IOException(uri + ": more than " + MAX_REDIRECTS + " redirects");
    }

    private void check(HttpResponse<?> r, RepoId repo, String revision, String what) {
        int s = r.statusCode();
        if (s / 100 == 2 || s / 100 == 3) {
            return;
        }
        String where = repo.id() + " (revision " + revision + ") at " + settings.endpoint();
        throw new HubException(switch (s) {
            case 401, 403 -> where + ": access denied to " + what + " (HTTP " + s + "); the repository may be private "
                    + "or gated: accept its terms on the hub and set HF_TOKEN";
            case 404 -> where + ": " + what + " not found (HTTP 404); check the id and revision";
            default -> where + ": " + what + ": HTTP " + s;
        });
    }

    private static String unquote(String etag) {
        String e = etag.startsWith("W/") ? etag.substring(2) : etag;
        return e.replace("\"", "");
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String encodePath(String path) {
        StringBuilder s = new StringBuilder();
        for (String part : path.split("/")) {
            s.append(s.isEmpty() ? "" : "/").append(encode(part));
        }
        return s.toString();
    }
}
