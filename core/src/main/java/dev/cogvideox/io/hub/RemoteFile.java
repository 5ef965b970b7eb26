package dev.cogvideox.io.hub;

import java.net.URI;
import java.util.regex.Pattern;

/**
 * What the hub says about one file of a commit (from a HEAD on its resolve URL).
 *
 * @param name     path inside the repository
 * @param etag     {@code X-Linked-Etag} (sha256 of an LFS file) or {@code ETag} (git blob sha1), unquoted
 * @param size     bytes, or -1 when the hub did not say
 * @param location where the content is fetched from (the CDN for LFS files)
 */
record RemoteFile(String name, String etag, long size, URI location) {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SHA1 = Pattern.compile("[0-9a-f]{40}");

    /** The etag is a sha256 of the content, as the hub gives for LFS files. */
    boolean isSha256() {
        return SHA256.matcher(etag).matches();
    }

    /** The etag is a git blob sha1 ({@code sha1("blob <size>\0" + content)}), as the hub gives for small files. */
    boolean isGitSha1() {
        return SHA1.matcher(etag).matches() && size >= 0;
    }
}
