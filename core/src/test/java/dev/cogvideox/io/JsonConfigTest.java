package dev.cogvideox.io;

import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonConfigTest {
    @TempDir
    Path dir;

    @Test
    void ignoresUnknownKeysAndAppliesDefaults() throws IOException {
        Path p = dir.resolve("config.json");
        Files.writeString(p, "{\"num_layers\": 3, \"num_attention_heads\": 30, \"attention_head_dim\": 64, \"in_channels\": 16, "
                + "\"text_embed_dim\": 4096, \"a_key_from_a_newer_diffusers\": [1, 2], \"ofs_embed_dim\": null}");
        CogVideoXTransformerConfig c = CogVideoXTransformerConfig.read(p);
        assertThat(c.numLayers()).isEqualTo(3);
        assertThat(c.innerDim()).isEqualTo(1920);
        assertThat(c.ofsEmbedDim()).isNull();
        assertThat(c.variant()).isEqualTo("2b");
    }

    @Test
    void namesTheFileAndKeyOfAMissingRequiredKey() throws IOException {
        Path p = dir.resolve("config.json");
        Files.writeString(p, "{\"x\": 1}");
        JsonConfig c = JsonConfig.read(p);
        assertThatThrownBy(() -> c.requireInt("num_layers")).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("config.json").hasMessageContaining("'num_layers'");
    }

    @Test
    void transformerConfigWithoutAShapeKeyIsAnError() throws IOException {
        Path p = dir.resolve("config.json");
        Files.writeString(p, "{\"num_layers\": 3, \"attention_head_dim\": 64, \"in_channels\": 16, \"text_embed_dim\": 4096}");
        assertThatThrownBy(() -> CogVideoXTransformerConfig.read(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("'num_attention_heads' is missing");
    }

    @Test
    void rejectsWrongTypesAndMissingFiles() throws IOException {
        Path p = dir.resolve("config.json");
        Files.writeString(p, "{\"num_layers\": \"many\", \"num_attention_heads\": 2, \"attention_head_dim\": 16, \"in_channels\": 16, "
                + "\"text_embed_dim\": 32}");
        assertThatThrownBy(() -> CogVideoXTransformerConfig.read(p)).hasMessageContaining("'num_layers' must be an integer");
        assertThatThrownBy(() -> JsonConfig.read(dir.resolve("nope.json"))).hasMessageContaining("nope.json: missing");
    }
}
