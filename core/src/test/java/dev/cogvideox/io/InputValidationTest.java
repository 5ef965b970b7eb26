package dev.cogvideox.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Safetensors headers the reference refuses, a folder given as a file, and the removal of a killed run's partial files. */
class InputValidationTest {
    @TempDir
    Path dir;

    private Path raw(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = dir.resolve("t.safetensors");
        Files.write(p, b.array());
        return p;
    }

    @Test
    void nonIntegerDataOffsetsAndDimensionsAreRefused() throws IOException {
        for (String offsets : new String[]{"[0.5, 16.5]", "[0, 16.0]", "[\"0\", \"16\"]", "[0, 1e1]", "[true, 16]"}) {
            Path p = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":" + offsets + "}}", 16);
            assertThatThrownBy(() -> SafetensorsFile.open(p)).as(offsets).isInstanceOf(ModelFormatException.class)
                    .hasMessageStartingWith(p + ": tensor a: data_offsets ").hasMessageContaining("non-negative integers");
        }
        Path p = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[4.0],\"data_offsets\":[0,16]}}", 16);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFormatException.class).hasMessageContaining("invalid dimension 4.0");
    }

    @Test
    void hugeShapesDoNotOverflow() throws IOException {
        Path p = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647,4],\"data_offsets\":[0,16]}}", 16);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("needs more bytes but data_offsets give 16");
    }

    @Test
    void duplicateTensorNamesAreRefused() throws IOException {
        Path p = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(p + ": header is not valid JSON at line 1").hasMessageContaining("Duplicate field 'a'")
                .hasMessageNotContaining("Source");
    }

    @Test
    void aFolderGivenAsAFileIsNamedAsSuch() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("weights.safetensors"));
        assertThatThrownBy(() -> SafetensorsFile.open(folder)).isInstanceOf(ModelFormatException.class)
                .hasMessage(folder + ": is a folder, expected a .safetensors file");
    }

    @Test
    void theNextWriteRemovesPartialFilesOfDeadRunsAndKeepsThoseOfLiveOnes() throws IOException {
        Path target = dir.resolve("out.mp4");
        long dead = deadPid();
        long live = ProcessHandle.current().parent().map(ProcessHandle::pid).orElseThrow();
        Path oldStyle = Files.writeString(dir.resolve(".out.mp4.4417812393.partial"), "x");         // before process ids
        Path deadFile = Files.writeString(dir.resolve(".out.mp4." + dead + "-123.partial"), "x");
        Path deadFolder = Files.createDirectories(dir.resolve(".out.mp4.partial." + dead + "-9/frames"));
        Path liveFile = Files.writeString(dir.resolve(".out.mp4." + live + "-5.partial"), "x");
        Path other = Files.writeString(dir.resolve(".other.mp4." + dead + "-1.partial"), "x");
        AtomicFile.write(target, tmp -> Files.writeString(tmp, "video"));
        assertThat(target).hasContent("video");
        assertThat(oldStyle).doesNotExist();
        assertThat(deadFile).doesNotExist();
        assertThat(deadFolder.getParent()).doesNotExist();
        assertThat(liveFile).exists();
        assertThat(other).as("another output's partial file").exists();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("out.mp4", liveFile.getFileName().toString(),
                    other.getFileName().toString());
        }
    }

    /** A process id no process has now (one that just exited). */
    private static long deadPid() throws IOException {
        Process p = new ProcessBuilder("true").start();
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        assertThat(ProcessHandle.of(p.pid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        return p.pid();
    }
}
