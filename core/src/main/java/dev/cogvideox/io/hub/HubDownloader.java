package dev.cogvideox.io.hub;

import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.progress.ProgressUnit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Downloads a repository revision into the hub cache: asks the hub which commit the revision is and which files
 * it has, fetches the files missing from that commit's snapshot (one progress task over all their bytes), links
 * them into the snapshot, and records the ref last, so a lookup by ref only sees complete downloads.
 */
final class HubDownloader {
    private final HubCache cache;
    private final HubClient client;
    private final BlobFetcher fetcher;

    HubDownloader(HubSettings settings) {
        this.cache = new HubCache(settings.cache());
        this.client = new HubClient(settings);
        this.fetcher = new BlobFetcher(client);
    }

    /** The snapshot folder of {@code revision}, complete. */
    Path download(RepoId repo, String revision, ProgressListener progress) throws IOException {
        HubClient.Revision info = client.revision(repo, revision);
        Path snapshot = cache.snapshotFolder(repo, info.sha());
        List<RemoteFile> missing = new ArrayList<>();
        long total = 0;
        for (String name : info.files()) {
            checkName(repo, name);
            if (!Files.exists(snapshot.resolve(name))) {
                RemoteFile f = client.head(repo, info.sha(), name);
                missing.add(f);
                total += Math.max(0, f.size());
            }
        }
        progress.onStart("downloading " + repo.id(), total, ProgressUnit.BYTES);
        long[] done = {0};
        try {
            for (RemoteFile f : missing) {
                Path blob = cache.blob(repo, f.etag());
                fetcher.fetch(f, blob, n -> progress.onProgress(done[0] += n));
                cache.link(repo, info.sha(), f.name(), blob);
            }
        } finally {
            progress.onEnd();
        }
        Files.createDirectories(snapshot);
        cache.writeRef(repo, revision, info.sha());
        return snapshot;
    }

    /** Refuses file names that would land outside the snapshot folder. */
    private static void checkName(RepoId repo, String name) {
        Path p = Path.of(name);
        if (name.isEmpty() || p.isAbsolute() || !p.normalize().equals(p) || p.startsWith("..")) {
            throw new HubException(repo.id() + ": the hub lists an unsafe file name '" + name + "'");
        }
    }
}
