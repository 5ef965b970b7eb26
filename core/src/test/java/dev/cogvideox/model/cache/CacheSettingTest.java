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
        CacheSetting p = CacheSetting.parse("pab");
        assertThat(p.skipRange()).isEqualTo(2);
        assertThat(p.low()).isEqualTo(100);
        assertThat(p.high()).isEqualTo(800);
        CacheSetting q = CacheSetting.parse("pab:3:50-900");
        assertThat(q.skipRange()).isEqualTo(3);
        assertThat(q.low()).isEqualTo(50);
        assertThat(q.high()).isEqualTo(900);
    }

    @Test
    void outOfRangeAndMalformedSettingsSayWhatIsTaken() {
        assertThatThrownBy(() -> CacheSetting.parse("teacache:-0.1")).hasMessageContaining("threshold must be in [0, 1.0]");
        assertThatThrownBy(() -> CacheSetting.parse("teacache:1.5")).hasMessageContaining("threshold must be in [0, 1.0]");
        assertThatThrownBy(() -> CacheSetting.parse("teacache:NaN")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> CacheSetting.parse("teacache:abc")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> CacheSetting.parse("teacache")).hasMessageContaining("teacache:THRESHOLD");
        assertThatThrownBy(() -> CacheSetting.parse("pab:0")).hasMessageContaining("skip range must be in [1, 1000]");
        assertThatThrownBy(() -> CacheSetting.parse("pab:2:800-100")).hasMessageContaining("0 <= LOW < HIGH <= 1000");
        assertThatThrownBy(() -> CacheSetting.parse("pab:2:100")).hasMessageContaining("LOW-HIGH");
        assertThatThrownBy(() -> CacheSetting.parse("fastercache")).hasMessageContaining("is not a cache setting");
    }
}
