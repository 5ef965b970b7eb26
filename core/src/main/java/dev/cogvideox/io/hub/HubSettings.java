package dev.cogvideox.io.hub;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where the hub cache is and how to reach the hub, from the environment variables {@code huggingface_hub}
 * reads, with its precedence.
 *
 * @param cache       the hub cache folder (holding {@code models--org--name} folders)
 * @param cacheOrigin which setting chose {@code cache}, for error messages
 * @param endpoint    the hub's base URL
 * @param token       sent as a bearer token to the endpoint's host (never to the file CDN it redirects to)
 * @param offline     {@code HF_HUB_OFFLINE} is set: downloads are refused
 * @param proxy       the HTTP proxy to reach the endpoint through ({@code HTTPS_PROXY} as huggingface_hub's requests reads
 *                    it, unless {@code NO_PROXY} names the endpoint's host), or empty for the JVM's own proxy settings
 */
public record HubSettings(Path cache, String cacheOrigin, URI endpoint, Optional<String> token, boolean offline, Optional<URI> proxy) {
    /** Settings with the JVM's own proxy settings. */
    public HubSettings(Path cache, String cacheOrigin, URI endpoint, Optional<String> token, boolean offline) {
        this(cache, cacheOrigin, endpoint, token, offline, Optional.empty());
    }

    public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");
    private static final Set<String> TRUE = Set.of("1", "true", "yes", "on");

    /** Settings from this process's environment and {@code user.home}. */
    public static HubSettings fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * Cache: {@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code $XDG_CACHE_HOME/huggingface/hub},
     * else {@code <home>/.cache/huggingface/hub}. Endpoint: {@code $HF_ENDPOINT} or {@link #DEFAULT_ENDPOINT}.
     * Token: {@code $HF_TOKEN}. Offline: {@code $HF_HUB_OFFLINE} is 1, true, yes or on.
     */
    public static HubSettings fromEnvironment(Map<String, String> env, Path home) {
        Path cache;
        String origin;
        if (set(env, "HF_HUB_CACHE")) {
            cache = Path.of(env.get("HF_HUB_CACHE"));
            origin = "HF_HUB_CACHE";
        } else if (set(env, "HF_HOME")) {
            cache = Path.of(env.get("HF_HOME"), "hub");
            origin = "HF_HOME/hub";
        } else if (set(env, "XDG_CACHE_HOME")) {
            cache = Path.of(env.get("XDG_CACHE_HOME"), "huggingface", "hub");
            origin = "XDG_CACHE_HOME/huggingface/hub";
        } else {
            cache = home.resolve(".cache/huggingface/hub");
            origin = "the default ~/.cache/huggingface/hub; HF_HUB_CACHE or HF_HOME change it";
        }
        URI endpoint = set(env, "HF_ENDPOINT") ? URI.create(env.get("HF_ENDPOINT").replaceAll("/+$", "")) : DEFAULT_ENDPOINT;
        Optional<String> token = set(env, "HF_TOKEN") ? Optional.of(env.get("HF_TOKEN").strip()) : Optional.empty();
        boolean offline = set(env, "HF_HUB_OFFLINE") && TRUE.contains(env.get("HF_HUB_OFFLINE").strip().toLowerCase(Locale.ROOT));
        return new HubSettings(cache, origin, endpoint, token, offline, proxy(env, endpoint));
    }

    /** {@code HTTPS_PROXY} (or {@code https_proxy}, {@code ALL_PROXY}) unless {@code NO_PROXY} lists the host or a suffix of it. */
    private static Optional<URI> proxy(Map<String, String> env, URI endpoint) {
        String value = first(env, "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy");
        if (value == null) {
            return Optional.empty();
        }
        String noProxy = first(env, "NO_PROXY", "no_proxy");
        String host = endpoint.getHost() == null ? "" : endpoint.getHost().toLowerCase(Locale.ROOT);
        if (noProxy != null) {
            for (String entry : noProxy.split(",")) {
                String e = entry.strip().toLowerCase(Locale.ROOT).replaceFirst("^\\*?\\.", "");
                if (e.equals("*") || !e.isEmpty() && (host.equals(e) || host.endsWith("." + e))) {
                    return Optional.empty();
                }
            }
        }
        return Optional.of(URI.create(value.contains("://") ? value.strip() : "http://" + value.strip()));
    }

    private static String first(Map<String, String> env, String... keys) {
        for (String k : keys) {
            if (set(env, k)) {
                return env.get(k);
            }
        }
        return null;
    }

    private static boolean set(Map<String, String> env, String key) {
        String v = env.get(key);
        return v != null && !v.isBlank();
    }
}
