package dev.cogvideox.model.cache;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CacheSettingTest {
    @Test
    void parsesEveryForm() {
        assertThat(CacheSetting.parse("none").enabled()).isFalse();
        CacheSetting t = CacheSetting.parse("TeaCache:0.15");
        assertThat(t.kind()).isEqualTo(CacheSetting.Kind.TEACACHE);
        assertThat(t.threshold()).isEqualTo(0.15);
        assertThat(t.coefficientsFile()).isNull();
        CacheSetting f = CacheSetting.parse("teacache:0.2:Models/W:1/teacache.json");    // the file keeps its case and colons
        assertThat(f.threshold()).isEqualTo(0.2);
        assertThat(f.coefficientsFile()).isEqualTo(java.nio.file.Path.of("Models/W:1/teacache.json"));
        assertThat(f.text()).isEqualTo("teacache:0.2:Models/W:1/teacache.json");
        CacheSetting p = CacheSetting.parse("pab");
        assertThat(p.skipRange()).isEqualTo(2);
        assertThat(p.low()).isEqualTo(100);
        assertThat(p.high()).isEqualTo(800);
        CacheSetting q = CacheSetting.parse("pab:3:50-900");
        assertThat(q.skipRange()).isEqualTo(3);
        assertThat(q.low()).isEqualTo(50);
        assertThat(q.high()).isEqualTo(900);
    }

    /** FILE "published" takes the variant's published polynomial even where the model folder has its own. */
    @Test
    void publishedOverridesTheModelFoldersPolynomial(@org.junit.jupiter.api.io.TempDir java.nio.file.Path model) throws java.io.IOException {
        java.nio.file.Files.writeString(model.resolve(TeaCacheCoefficients.FILE), "{\"coefficients\": [0, 0, 0, 1, 0]}");
        dev.cogvideox.model.transformer.CogVideoXTransformerConfig cfg = dev.cogvideox.model.transformer.CogVideoXTransformerConfig.read(
                dev.cogvideox.verify.GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b/transformer/config.json"));
        assertThat(CacheSetting.parse("teacache:0.2").coefficients(cfg, model).polynomial()).containsExactly(0, 0, 0, 1, 0);
        assertThat(CacheSetting.parse("teacache:0.2:Published").coefficients(cfg, model).source()).isEqualTo("the published CogVideoX-2b polynomial");
    }

    @Test
    void outOfRangeAndMalformedSettingsSayWhatIsTaken() {
        assertThatThrownBy(() -> CacheSetting.parse("teacache:-0.1")).hasMessageContaining("threshold must be in [0, 1.0]");
        assertThatThrownBy(() -> CacheSetting.parse("teacache:1.5")).hasMessageContaining("threshold must be in [0, 1.0]");
        assertThatThrownBy(() -> CacheSetting.parse("teacache:NaN")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> CacheSetting.parse("teacache:abc")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> CacheSetting.parse("teacache")).hasMessageContaining("teacache:THRESHOLD");
        assertThatThrownBy(() -> CacheSetting.parse("teacache:0.2:")).hasMessageContaining("no file after the threshold");
        assertThatThrownBy(() -> CacheSetting.parse("pab:0")).hasMessageContaining("skip range must be in [1, 1000]");
        assertThatThrownBy(() -> CacheSetting.parse("pab:2:800-100")).hasMessageContaining("0 <= LOW < HIGH <= 1000");
        assertThatThrownBy(() -> CacheSetting.parse("pab:2:100")).hasMessageContaining("LOW-HIGH");
        assertThatThrownBy(() -> CacheSetting.parse("fastercache")).hasMessageContaining("is not a cache setting");
    }
}
