package dev.cogvideox.serve;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The service's data folder: {@code jobs.db}, {@code uploads/}, {@code loras/} and {@code jobs/<id>/} with each
 * job's results. Every name a request gives is matched against a strict pattern before it becomes a path, and
 * the path is checked to stay inside its folder, so no request can reach outside the data folder.
 */
final class DataFolder {
    static final Pattern JOB_ID = Pattern.compile("[0-9a-f]{32}");
    static final Pattern UPLOAD = Pattern.compile("[0-9a-f]{32}\\.(png|jpg|mp4|gif)");
    static final Pattern LORA = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,99}");

    private final Path root;

    DataFolder(Path root) {
        this.root = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(this.root.resolve("uploads"));
            Files.createDirectories(this.root.resolve("loras"));
            Files.createDirectories(this.root.resolve("jobs"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data folder " + this.root + ": " + e.getMessage(), e);
        }
    }

    Path root() {
        return root;
    }

    Path database() {
        return root.resolve("jobs.db");
    }

    Path uploads() {
        return root.resolve("uploads");
    }

    /** An existing upload, by the name the upload call returned. */
    Path upload(String field, String name) {
        if (!UPLOAD.matcher(name).matches()) {
            throw ApiException.badRequest(field, field + " '" + name + "': not an upload name (POST the file to /api/uploads and give the name it returns)");
        }
        Path p = inside(uploads(), name);
        if (!Files.isRegularFile(p)) {
            throw ApiException.badRequest(field, field + " '" + name + "': no such upload");
        }
        return p;
    }

    /** A LoRA file under {@code loras/}: {@code name} or {@code name.safetensors}. */
    Path lora(String name) {
        if (!LORA.matcher(name).matches() || name.contains("..")) {
            throw ApiException.badRequest("lora", "lora '" + name + "': a LoRA is named by its file in the data folder's loras/ (letters, digits, '_', '-', '.', no '..')");
        }
        Path dir = root.resolve("loras");
        Path p = inside(dir, name.endsWith(".safetensors") ? name : name + ".safetensors");
        if (!Files.isRegularFile(p)) {
            throw ApiException.badRequest("lora", "lora '" + name + "': no such file in the data folder's loras/");
        }
        return p;
    }

    /** The results folder of a job (not created). */
    Path job(String id) {
        if (!JOB_ID.matcher(id).matches()) {
            throw ApiException.notFound("no job '" + id + "'");
        }
        return inside(root.resolve("jobs"), id);
    }

    void deleteJob(String id) {
        deleteTree(job(id));
    }

    static Path inside(Path dir, String name) {
        Path p = dir.resolve(name).normalize();
        if (!p.getParent().equals(dir)) {
            throw ApiException.badRequest(null, "'" + name + "' is not a plain file name");
        }
        return p;
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root + ": " + e.getMessage(), e);
        }
    }
}
