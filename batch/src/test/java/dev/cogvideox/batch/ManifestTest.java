package dev.cogvideox.batch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ManifestTest {
    @TempDir
    Path tmp;

    private static Manifest.Entry entry(int line, String output, String status) {
        return new Manifest.Entry(line, output, status, status.equals(Manifest.FAILED) ? "why" : null, "p" + line, 1.5, "0", "h", 0, "m",
                null, List.of("--steps", "2"), null, "2026-01-01T00:00:00Z");
    }

    @Test
    void theLatestEntryPerOutputWinsAndATornLastLineIsSkipped() throws IOException {
        Path file = tmp.resolve(Manifest.NAME);
        try (Manifest m = Manifest.append(file)) {
            m.add(entry(1, "a.mp4", Manifest.FAILED));
            m.add(entry(2, "b.mp4", Manifest.DONE));
            m.add(entry(1, "a.mp4", Manifest.DONE));
        }
        Files.writeString(file, "{\"line\":3,\"output\":\"c.mp4\",\"sta", java.nio.file.StandardOpenOption.APPEND);   // a driver died here
        Map<String, Manifest.Entry> read = Manifest.read(file);
        assertThat(read.keySet()).containsExactly("b.mp4", "a.mp4");
        assertThat(read.get("a.mp4").status()).isEqualTo(Manifest.DONE);
        assertThat(read.get("b.mp4").defaults()).containsExactly("--steps", "2");
    }

    @Test
    void writeReplacesTheFileWithOneLinePerEntry() throws IOException {
        Path file = tmp.resolve(Manifest.NAME);
        Files.writeString(file, "old\nold\nold\n");
        Manifest.write(file, List.of(entry(1, "a.mp4", Manifest.DONE), entry(2, "b.mp4", Manifest.FAILED)));
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(2);
        assertThat(lines.get(1)).startsWith("{\"line\":2,\"output\":\"b.mp4\",\"status\":\"failed\",\"reason\":\"why\"").doesNotContain("null");
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly(Manifest.NAME);     // no temporary left
        }
    }
}
