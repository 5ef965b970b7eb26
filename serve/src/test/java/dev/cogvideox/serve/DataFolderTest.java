package dev.cogvideox.serve;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** No name from a request becomes a path outside the data folder. */
class DataFolderTest {
    @TempDir
    Path root;

    @Test
    void namesThatCouldEscapeAreRefused() throws Exception {
        DataFolder d = new DataFolder(root.resolve("data"));
        Files.writeString(root.resolve("secret.safetensors"), "x");
        Files.writeString(root.resolve("data/jobs.db.safetensors"), "x");
        for (String name : List.of("../secret", "../secret.safetensors", "..", ".", "/etc/passwd", "a/../../secret", "loras/../../secret", "x\u0000y", "")) {
            assertThatThrownBy(() -> d.lora(name)).as(name).isInstanceOf(ApiException.class)
                    .satisfies(e -> assertThat(((ApiException) e).status()).isEqualTo(400));
        }
        assertThatThrownBy(() -> d.lora("jobs.db")).as("a file beside loras/, not in it").isInstanceOf(ApiException.class);
        for (String name : List.of("../jobs.db", "0123456789abcdef0123456789abcdef.png/../../jobs.db", "0123456789abcdef0123456789abcdef.exe")) {
            assertThatThrownBy(() -> d.upload("image", name)).as(name).isInstanceOf(ApiException.class);
        }
        for (String id : List.of("..", "../jobs.db", "0123456789abcdef0123456789abcdeF", "0123456789abcdef0123456789abcdef/..")) {
            assertThatThrownBy(() -> d.job(id)).as(id).isInstanceOf(ApiException.class)
                    .satisfies(e -> assertThat(((ApiException) e).status()).isEqualTo(404));
        }
        assertThat(d.job("0123456789abcdef0123456789abcdef").getParent()).isEqualTo(d.root().resolve("jobs"));
        Files.writeString(d.root().resolve("loras/style-1.safetensors"), "x");
        assertThat(d.lora("style-1")).isEqualTo(d.root().resolve("loras/style-1.safetensors"));
    }
}
