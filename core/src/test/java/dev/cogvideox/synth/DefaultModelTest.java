package dev.cogvideox.synth;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class DefaultModelTest {
    @TempDir
    Path tmp;

    @AfterEach
    void clear() {
        System.clearProperty(DefaultModel.TRAINED_PROPERTY);
    }

    @Test
    void theTrainedModelIsUsedOnlyWhenItsFolderHoldsAModel() throws Exception {
        assertThat(DefaultModel.trained()).isEmpty();                      // tests and a bare jar: the tiny random model
        Path folder = tmp.resolve("world-v1");
        System.setProperty(DefaultModel.TRAINED_PROPERTY, folder.toString());
        assertThat(DefaultModel.trained()).isEmpty();                      // the launcher names it, but it is not trained yet
        Files.createDirectories(folder);
        assertThat(DefaultModel.trained()).isEmpty();
        Files.writeString(folder.resolve("model_index.json"), "{}");
        assertThat(DefaultModel.trained()).contains(folder);
        assertThat(DefaultModel.ensure()).isEqualTo(folder);
    }
}
