package dev.cogvideox.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cogvideox.model.schedule.CogVideoXSchedulerConfig;
import dev.cogvideox.model.text.T5Config;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoXConfig;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every config value the issue found accepted (or ending in an uncaught error) is refused with the file, key, value and range. */
class ConfigValidationTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** The fixture's config with {@code key} set to the JSON {@code value}, written under tmp. */
    private Path withValue(String relative, String key, String value) throws IOException {
        ObjectNode c = (ObjectNode) JSON.readTree(MODEL.resolve(relative).toFile());
        c.set(key, JSON.readTree(value));
        Path file = tmp.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, JSON.writeValueAsString(c));
        return file;
    }

    private void refused(String relative, String key, String value, Consumer<Path> reader, String... expected) throws IOException {
        Path file = withValue(relative, key, value);
        assertThatThrownBy(() -> reader.accept(file)).isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(file.toString()).hasMessageContaining(key);
        for (String e : expected) {
            assertThatThrownBy(() -> reader.accept(file)).hasMessageContaining(e);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "num_layers|0|allowed 1 to 1000",
            "num_layers|-1|allowed 1 to 1000",
            "sample_height|0|allowed 2 to 1024",
            "sample_height|1000000000|allowed 2 to 1024",
            "sample_width|-90|allowed 2 to 1024",
            "sample_frames|0|allowed 1 to 4096",
            "norm_eps|-1e-5|allowed above 0",
            "norm_eps|0|allowed above 0",
            "max_text_seq_length|100000|allowed 1 to 2048",
            "temporal_compression_ratio|0|allowed 1 to 64",
            "patch_size|0|allowed 1 to 64",
            "in_channels|17|allowed 16 (out_channels: text-to-video) or 32",
            "attention_head_dim|12|multiple of 8",
    })
    void transformerValuesNoPublishedModelHasAreRefused(String key, String value, String range) throws IOException {
        refused("transformer/config.json", key, value, CogVideoXTransformerConfig::read, value.equals("1000000000") || value.equals("-90")
                || value.equals("100000") ? new String[]{range, value} : new String[]{range});
    }

    @Test
    void transformerSizesWhosePositionTablesCannotExistAreRefused() throws IOException {
        ObjectNode c = (ObjectNode) JSON.readTree(MODEL.resolve("transformer/config.json").toFile());
        c.put("sample_height", 1024).put("sample_width", 1024).put("sample_frames", 4096);
        Path file = tmp.resolve("config.json");
        Files.writeString(file, JSON.writeValueAsString(c));
        assertThatThrownBy(() -> CogVideoXTransformerConfig.read(file)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("sample_frames").hasMessageContaining("268435456 video tokens");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "scaling_factor|0|allowed above 0",
            "scaling_factor|-0.7|allowed above 0",
            "norm_num_groups|0|allowed 1 to 1024",
            "temporal_compression_ratio|0|allowed 1 to 8",
            "temporal_compression_ratio|3|power of two",
            "norm_eps|0|allowed above 0",
            "layers_per_block|0|allowed 1 to 64",
            "sample_height|0|allowed 1 to 16384",
            "sample_width|-8|allowed 1 to 16384",
    })
    void vaeValuesNoPublishedModelHasAreRefused(String key, String value, String range) throws IOException {
        refused("vae/config.json", key, value, AutoencoderKLCogVideoXConfig::read, range);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "num_train_timesteps|1000000000|allowed 1 to 100000",
            "num_train_timesteps|0|allowed 1 to 100000",
            "snr_shift_scale|0|allowed above 0",
            "beta_end|0|0 < beta_end < 1",
            "steps_offset|-1|allowed 0 to 999",
    })
    void schedulerValuesNoPublishedModelHasAreRefused(String key, String value, String range) throws IOException {
        refused("scheduler/scheduler_config.json", key, value, CogVideoXSchedulerConfig::read, range);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "num_layers|0|allowed 1 to 1000",
            "layer_norm_epsilon|0|allowed above 0",
            "num_heads|-2|allowed 1 to 1024",
            "relative_attention_num_buckets|100000|allowed 4 to 4096",
    })
    void t5ValuesNoPublishedModelHasAreRefused(String key, String value, String range) throws IOException {
        refused("text_encoder/config.json", key, value, T5Config::read, range);
    }

    @Test
    void modelIndexNamingAnotherPipelineOrAUNetIsRefused() throws IOException {
        Path other = withValue("model_index.json", "_class_name", "\"StableDiffusionPipeline\"");
        assertThatThrownBy(() -> ModelIndex.read(other.getParent())).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(other.toString()).hasMessageContaining("StableDiffusionPipeline").hasMessageContaining("CogVideoXPipeline");
        Path unet = withValue("model_index.json", "transformer", "[\"diffusers\", \"UNet2DConditionModel\"]");
        assertThatThrownBy(() -> ModelIndex.read(unet.getParent())).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("'transformer'").hasMessageContaining("UNet2DConditionModel").hasMessageContaining("CogVideoXTransformer3DModel");
        Path extra = withValue("model_index.json", "safety_checker", "[\"some_lib\", \"SafetyChecker\"]");
        assertThat(ModelIndex.read(extra.getParent()).components()).containsKey("safety_checker");
    }

    @Test
    void publishedAndFixtureConfigsStayAccepted() {
        for (String m : new String[]{"tiny-cogvideox-2b", "tiny-cogvideox-5b", "tiny-cogvideox-5b-i2v", "tiny-cogvideox1.5-5b", "tiny-cogvideox1.5-5b-i2v"}) {
            Path dir = MODEL.resolveSibling(m);
            assertThat(CogVideoXTransformerConfig.read(dir.resolve("transformer/config.json")).numLayers()).isEqualTo(2);
            assertThat(AutoencoderKLCogVideoXConfig.read(dir.resolve("vae/config.json")).scalingFactor()).isPositive();
            assertThat(CogVideoXSchedulerConfig.read(dir.resolve("scheduler/scheduler_config.json")).numTrainTimesteps()).isEqualTo(1000);
            assertThat(T5Config.read(dir.resolve("text_encoder/config.json")).numLayers()).isPositive();
            assertThat(ModelIndex.read(dir).components()).containsKeys("transformer", "vae", "scheduler");
        }
    }

    @Test
    void jsonErrorsNameTheFileLineAndColumnWithoutParserInternals() throws IOException {
        Path file = tmp.resolve("config.json");
        Files.writeString(file, "{\n  \"num_layers\": 2,\n  \"in_channels\": 16 16\n}");
        assertThatThrownBy(() -> JsonConfig.read(file)).isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(file + ": invalid JSON at line 3, column")
                .hasMessageNotContaining("Source").hasMessageNotContaining("REDACTED").hasMessageNotContaining("reference chain");
    }

    @Test
    void invalidUtf8AndAFolderAreNamed() throws IOException {
        Path file = tmp.resolve("config.json");
        Files.write(file, "{\n\"a\": 1,\n\"b\": \"x\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> JsonConfig.read(file)).isInstanceOf(ModelFormatException.class)
                .hasMessage(file + ": line 3 (byte 17) is not valid UTF-8 text; save the file as UTF-8");
        Path folder = Files.createDirectories(tmp.resolve("folder.json"));
        assertThatThrownBy(() -> JsonConfig.read(folder)).hasMessage(folder + ": is a folder, expected a JSON file");
    }

    @Test
    void integerListsRefuseOtherValues() throws IOException {
        refused("vae/config.json", "block_out_channels", "[8, 8.5, 16, 16]", AutoencoderKLCogVideoXConfig::read, "must be a list of integers");
    }
}
