package dev.cogvideox.model.cache;

import dev.cogvideox.io.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TeaCacheCoefficientsTest {
    @TempDir
    Path tmp;

    private Path write(String name, String text) throws IOException {
        Path f = tmp.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Test
    void aFileGivesItsPolynomialAndSaysWhereItIsFrom() throws IOException {
        Path f = write("c.json", "{\"coefficients\": [1, -2, 3.5, 0, 0.25], \"model\": \"models/x\", \"other\": 1}");
        TeaCacheCoefficients c = TeaCacheCoefficients.read(f);
        assertThat(c.polynomial()).containsExactly(1, -2, 3.5, 0, 0.25);
        assertThat(c.rescale(2)).isEqualTo(16 - 16 + 14 + 0 + 0.25);
        assertThat(c.source()).isEqualTo(f + " (fitted to models/x)");
    }

    /** The explicit file first, then the model folder's teacache.json, then the published polynomial of the variant. */
    @Test
    void resolutionPrefersTheFileThenTheModelFolderThenThePublishedOne() throws IOException {
        Path model = Files.createDirectories(tmp.resolve("model"));
        assertThat(TeaCacheCoefficients.resolve(null, model, "2b").source()).isEqualTo("the published CogVideoX-2b polynomial");
        assertThat(TeaCacheCoefficients.resolve(null, null, "5b").polynomial()).containsExactly(TeaCacheCoefficients.published("5b").polynomial());
        Files.writeString(model.resolve(TeaCacheCoefficients.FILE), "{\"coefficients\": [0, 0, 0, 1, 0]}");
        assertThat(TeaCacheCoefficients.resolve(null, model, "2b").polynomial()).containsExactly(0, 0, 0, 1, 0);
        Path other = write("other.json", "{\"coefficients\": [0, 0, 0, 2, 0]}");
        assertThat(TeaCacheCoefficients.resolve(other, model, "2b").polynomial()).containsExactly(0, 0, 0, 2, 0);
        assertThatThrownBy(() -> TeaCacheCoefficients.published("tiny"))
                .hasMessageContaining("no published coefficients for the tiny model").hasMessageContaining("cache calibrate");
    }

    @Test
    void missingMalformedAndWrongDegreeFilesAreErrorsNamingTheFile() throws IOException {
        Path missing = tmp.resolve("none.json");
        assertThatThrownBy(() -> TeaCacheCoefficients.read(missing)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(missing.toString()).hasMessageContaining("no such TeaCache coefficients file");
        Path broken = write("broken.json", "{\"coefficients\": [1, 2,");
        assertThatThrownBy(() -> TeaCacheCoefficients.read(broken)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(broken.toString());
        Path noKey = write("nokey.json", "{\"coeffs\": [1, 2, 3, 4, 5]}");
        assertThatThrownBy(() -> TeaCacheCoefficients.read(noKey)).hasMessageContaining(noKey + ": no \"coefficients\" key");
        Path notList = write("notlist.json", "{\"coefficients\": 3}");
        assertThatThrownBy(() -> TeaCacheCoefficients.read(notList)).hasMessageContaining("must be a list of 5 numbers, got 3");
        Path degree3 = write("degree3.json", "{\"coefficients\": [1, 2, 3, 4]}");
        assertThatThrownBy(() -> TeaCacheCoefficients.read(degree3)).hasMessageContaining(degree3 + ": \"coefficients\" has 4 numbers")
                .hasMessageContaining("degree 4: 5 numbers, highest power first");
        Path text = write("text.json", "{\"coefficients\": [1, 2, \"3\", 4, 5]}");
        assertThatThrownBy(() -> TeaCacheCoefficients.read(text)).hasMessageContaining("\"coefficients\"[2] is \"3\", not a finite number");
        assertThatThrownBy(() -> new TeaCacheCoefficients(new double[6], 1, "here")).hasMessageContaining("here: 6 coefficients");
    }
}
