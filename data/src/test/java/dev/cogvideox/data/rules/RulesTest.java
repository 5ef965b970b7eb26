package dev.cogvideox.data.rules;

import dev.cogvideox.data.features.ClipFeatures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each rule on features made to fail it alone, the thresholds a user's file overrides, and the errors naming a bad key. */
class RulesTest {
    @TempDir
    Path tmp;

    /** A clip every default rule keeps: 4 s of 640x360, steady motion, sharp, well exposed, no text. */
    static ClipFeatures good() {
        return new ClipFeatures(96, 4, 640, 360, 24, 0.03, 0.05, 0, 0.2, 0.05, 0.9, 0.95, 0.002, 0.45, 0.01, 0.0, 0.0);
    }

    static ClipFeatures with(String field, double v) {
        ClipFeatures g = good();
        return new ClipFeatures(g.frames(), field.equals("seconds") ? v : g.seconds(), field.equals("width") ? (int) v : g.width(),
                g.height(), g.fps(), g.diffMean(), field.equals("diffMax") ? v : g.diffMax(), field.equals("still") ? v : g.stillFraction(),
                field.equals("motion") ? v : g.motion(), g.motionSpread(), field.equals("area") ? v : g.motionArea(),
                field.equals("coherence") ? v : g.motionCoherence(), field.equals("sharpness") ? v : g.sharpness(),
                field.equals("brightness") ? v : g.brightness(), field.equals("clipped") ? v : g.clipped(), field.equals("text") ? v : g.textArea(),
                field.equals("flat") ? v : g.flatArea());
    }

    @Test
    void eachRuleRejectsTheClipMadeToFailIt() {
        Rules r = Rules.defaults();
        assertThat(r.judge(good()).kept()).isTrue();
        assertThat(r.judge(with("seconds", 0.5)).tags()).containsExactly("too_short");
        assertThat(r.judge(with("width", 48)).tags()).containsExactly("low_resolution");
        assertThat(r.judge(with("sharpness", 0.0001)).tags()).containsExactly("blurry");
        assertThat(r.judge(with("brightness", 0.03)).reasons()).containsExactly("bad_exposure: brightness 0.030 < 0.06 (too dark)");
        assertThat(r.judge(with("brightness", 0.97)).reasons()).containsExactly("bad_exposure: brightness 0.970 > 0.94 (too bright)");
        assertThat(r.judge(with("clipped", 0.6)).tags()).containsExactly("bad_exposure");
        assertThat(r.judge(with("motion", 0.005)).reasons()).containsExactly("static: motion 0.0050 frame widths/s < 0.01");
        assertThat(r.judge(with("area", 0.05)).tags()).containsExactly("lecture");
        assertThat(r.judge(with("coherence", 0.1)).tags()).containsExactly("shaky");
        assertThat(r.judge(with("text", 0.3)).tags()).containsExactly("text_dominated");
        assertThat(r.judge(with("flat", 0.5)).kept()).isTrue();                             // flat, but no text: a plain wall
        ClipFeatures screen = new ClipFeatures(96, 4, 640, 360, 24, 0.03, 0.05, 0, 0.2, 0.05, 0.9, 0.95, 0.002, 0.45, 0.01, 0.05, 0.5);
        assertThat(r.judge(screen).tags()).containsExactly("screen_recording");
        ClipFeatures slides = new ClipFeatures(96, 4, 640, 360, 24, 0.003, 0.05, 0.8, 0.2, 0.05, 0.9, 0.95, 0.002, 0.45, 0.01, 0, 0);
        assertThat(r.judge(slides).tags()).containsExactly("slideshow");
        assertThat(r.judgeScore(3.5).reasons()).containsExactly("low_quality_score: quality score 3.50 < 4.0");
        assertThat(r.judgeScore(4).kept()).isTrue();
    }

    @Test
    void aUsersFileOverridesThresholdsAndTurnsRulesOff() throws IOException {
        Path f = tmp.resolve("rules.json");
        Files.writeString(f, "{\"static\": {\"min_motion\": 0.5}, \"shaky\": {\"enabled\": false}}");
        Rules r = Rules.read(f);
        assertThat(r.get("static", "min_motion")).isEqualTo(0.5);
        assertThat(r.get("split", "max_seconds")).isEqualTo(10.0);                          // the default
        assertThat(r.judge(good()).tags()).containsExactly("static");
        assertThat(r.judge(with("coherence", 0.1)).tags()).containsExactly("static");
        assertThat(r.toJson()).contains("\"shaky\":{\"enabled\":false,\"min_motion\":0.05,\"max_coherence\":0.3}");
    }

    @Test
    void aBadFileIsAnErrorNamingTheKey() throws IOException {
        Path f = tmp.resolve("rules.json");
        Files.writeString(f, "{\"statik\": {}}");
        assertThatThrownBy(() -> Rules.read(f)).hasMessageStartingWith("--rules " + f + ": no rule \"statik\" (the rules are split, too_short,");
        Files.writeString(f, "{\"static\": {\"min_motion\": \"high\"}}");
        assertThatThrownBy(() -> Rules.read(f)).hasMessage("--rules " + f + ": static.min_motion must be a number, got \"high\"");
        Files.writeString(f, "{\"static\": {\"enabled\": 1}}");
        assertThatThrownBy(() -> Rules.read(f)).hasMessage("--rules " + f + ": static.enabled must be true or false, got 1");
        Files.writeString(f, "{\"static\": ");
        assertThatThrownBy(() -> Rules.read(f)).hasMessageStartingWith("--rules " + f + ": not valid JSON");
    }
}
