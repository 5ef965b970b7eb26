package dev.cogvideox.io.hub;

import dev.cogvideox.progress.ProgressListener;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Turns what a user typed for a model into a local folder: an existing folder as is; otherwise a hub id
 * ({@code THUDM/CogVideoX-2b}) found in the hub cache without any network access, or, only when a download is
 * requested, fetched into the cache first.
 */
public final class ModelResolver {
    /** The revision used when none is given. */
    public static final String MAIN = "main";

    private final HubSettings settings;
    private final HubCache cache;

    public ModelResolver(HubSettings settings) {
        this.settings = settings;
        this.cache = new HubCache(settings.cache());
    }

    /** {@link #resolve(String, String, boolean, ProgressListener)} of revision main, offline. */
    public Path resolve(String model) {
        return resolve(model, MAIN, false, ProgressListener.NONE);
    }

    /**
     * The folder holding {@code model}.
     *
     * @param model    a folder path, or a hub id {@code owner/name}
     * @param revision branch, tag or commit hash of a hub id (ignored for a folder)
     * @param download fetch the revision's missing files from the hub (asks the hub which commit the revision is
     *                 now, so a moved branch is followed); without it no network access is made
     * @param progress receives the download's bytes
     * @throws HubException naming the places looked at and how to download, or what the hub answered
     */
    public Path resolve(String model, String revision, boolean download, ProgressListener progress) {
        Path folder = Path.of(model);
        if (Files.isDirectory(folder)) {
            return folder;
        }
        RepoId repo = RepoId.tryParse(model).orElseThrow(() -> new HubException("model '" + model
                + "': no such folder, and not a hub id of the form owner/name"));
        if (revision.isEmpty() || revision.startsWith("/") || revision.contains("..")) {
            throw new HubException("model " + model + ": invalid revision '" + revision + "'");
        }
        try {
            if (download) {
                if (settings.offline()) {
                    throw new HubException("model " + model + ": cannot download, HF_HUB_OFFLINE is set");
                }
                return new HubDownloader(settings).download(repo, revision, progress);
            }
            return cache.snapshot(repo, revision).orElseThrow(() -> notCached(model, repo, revision));
        } catch (IOException e) {
            if (download && unreachable(e)) {
                throw new HubException(unreachableMessage(model, repo, e), e);
            }
            throw new HubException("model " + model + ": " + (download ? "download from " + settings.endpoint()
                    + " failed: " : "") + e, e);
        }
    }

    /** A connection that could not be made at all: no network, a wrong host, a proxy needed or down. */
    private static boolean unreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException
                    || t instanceof java.net.http.HttpConnectTimeoutException || t instanceof java.net.NoRouteToHostException) {
                return true;
            }
        }
        return false;
    }

    private String unreachableMessage(String model, RepoId repo, IOException e) {
        URI endpoint = settings.endpoint();
        int port = endpoint.getPort() > 0 ? endpoint.getPort() : "http".equals(endpoint.getScheme()) ? 80 : 443;
        String why = e instanceof java.net.UnknownHostException || e.getCause() instanceof java.net.UnknownHostException
                ? "the host name does not resolve" : e instanceof java.net.http.HttpConnectTimeoutException ? "the connection timed out"
                : "the connection was refused or could not be made";
        String proxy = settings.proxy().map(p -> "through the proxy " + p + " (HTTPS_PROXY); check that it runs")
                .orElse("with no proxy (behind one, set HTTPS_PROXY=http://host:port)");
        return "model " + model + ": cannot reach the hub at " + endpoint.getHost() + ":" + port + " (" + endpoint + "): " + why
                + ". Tried " + proxy + "; for a mirror set HF_ENDPOINT (now " + (endpoint.equals(HubSettings.DEFAULT_ENDPOINT)
                ? "unset" : endpoint) + "). Or download it on a machine with access (`huggingface-cli download " + repo.id()
                + "`) and pass the folder with --model.";
    }

    private HubException notCached(String model, RepoId repo, String revision) {
        Path looked = HubCache.isCommit(revision) ? cache.snapshotFolder(repo, revision) : cache.refFile(repo, revision);
        return new HubException("model '" + model + "' (revision " + revision + ") is not a local folder and is not in"
                + " the Hugging Face cache: no " + looked + " (cache from " + settings.cacheOrigin() + "). Download it"
                + " with --download (or `huggingface-cli download " + repo.id() + "`), or pass the model's folder.");
    }
}
