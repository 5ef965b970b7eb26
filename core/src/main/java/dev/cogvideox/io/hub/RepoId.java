package dev.cogvideox.io.hub;

import java.util.Optional;
import java.util.regex.Pattern;

/** A hub model repository id, {@code owner/name} (e.g. {@code THUDM/CogVideoX-2b}). */
public record RepoId(String owner, String name) {
    /** The hub's rule for each part: letters, digits, '-', '_', '.', no leading or trailing '-' or '.', no "--" or "..". */
    private static final Pattern PART = Pattern.compile("(?!.*(--|\\.\\.))[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?");

    public RepoId {
        if (!PART.matcher(owner).matches() || !PART.matcher(name).matches()) {
            throw new IllegalArgumentException("'" + owner + "/" + name + "' is not a hub repository id (owner/name)");
        }
    }

    /** The id in {@code text}, if it has the form {@code owner/name}. */
    public static Optional<RepoId> tryParse(String text) {
        String[] parts = text.split("/", -1);
        if (parts.length != 2 || !PART.matcher(parts[0]).matches() || !PART.matcher(parts[1]).matches()) {
            return Optional.empty();
        }
        return Optional.of(new RepoId(parts[0], parts[1]));
    }

    /** {@code owner/name}. */
    public String id() {
        return owner + "/" + name;
    }

    /** The repository's folder name in the hub cache. */
    public String cacheFolderName() {
        return "models--" + owner + "--" + name;
    }
}
