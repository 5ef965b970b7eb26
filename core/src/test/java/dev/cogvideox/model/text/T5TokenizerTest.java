package dev.cogvideox.model.text;

import dev.cogvideox.io.ModelFormatException;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad and unusual input for the tokenizer: missing or corrupt model files, empty and over-long text, any script. */
class T5TokenizerTest {
    private static final Path TOKENIZER = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b/tokenizer");
    private final T5Tokenizer tokenizer = T5Tokenizer.fromPretrained(TOKENIZER);

    @Test
    void missingModelFileIsAnErrorNamingIt(@TempDir Path dir) {
        assertThatThrownBy(() -> T5Tokenizer.fromPretrained(dir))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(dir.resolve("spiece.model").toString())
                .hasMessageContaining("missing");
    }

    @Test
    void corruptModelFilesAreErrorsNamingThem(@TempDir Path dir) throws IOException {
        byte[] real = Files.readAllBytes(TOKENIZER.resolve("spiece.model"));
        for (byte[] bytes : new byte[][]{Arrays.copyOf(real, 1000), "hello, I am not a model".getBytes(), new byte[0]}) {
            Path file = dir.resolve("spiece.model");
            Files.write(file, bytes);
            assertThatThrownBy(() -> SentencePieceProcessor.load(file))
                    .isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining("not a valid SentencePiece model");
        }
    }

    @Test
    void emptyAndBlankTextGiveOnlyEos() {
        for (String text : new String[]{"", " ", " \t\n\u3000 "}) {
            assertThat(tokenizer.encode(text)).as("'%s'", text).containsExactly(1);
            T5Tokenizer.Encoding enc = tokenizer.encode(text, 4);
            assertThat(enc.inputIds()).containsExactly(1, 0, 0, 0);
            assertThat(enc.attentionMask()).containsExactly(1, 0, 0, 0);
            assertThat(enc.droppedTokens()).isZero();
        }
    }

    @Test
    void longTextIsTruncatedAndSaysHowMuchWasDropped() {
        String text = "a panda plays the guitar in a bamboo forest ".repeat(20);
        int content = tokenizer.encode(text).length - 1;
        T5Tokenizer.Encoding enc = tokenizer.encode(text, 16);
        assertThat(enc.inputIds()).hasSize(16).endsWith(1);
        assertThat(enc.attentionMask()).containsOnly(1);
        assertThat(enc.droppedTokens()).isEqualTo(content - 15);
        assertThat(Arrays.copyOf(enc.inputIds(), 15)).containsExactly(Arrays.copyOf(tokenizer.encode(text), 15));
    }

    @Test
    void anyScriptEncodesToKnownIdsOrUnknown() {
        String text = "熊猫 弹吉他 · パンダ · 판다 · панда · πάντα · פנדה · باندا · पांडा · แพนด้า · 🐼🎸 · Zürich ﬁne ①";
        int[] ids = tokenizer.encode(text, 226).inputIds();
        assertThat(Arrays.stream(ids).boxed().toList()).allMatch(id -> id >= 0 && id < tokenizer.size());
        assertThat(tokenizer.tokenize(text)).doesNotContain("");
        assertThat(ids).contains(2);
        // a run of unknown characters is one unknown token
        assertThat(tokenizer.tokenize("熊猫弹吉他")).containsExactly("▁", "熊猫弹吉他");
    }

    @Test
    void addedTokensSplitRawTextAndStripAroundExtraIds() {
        assertThat(tokenizer.tokenize("a <extra_id_0> b</s>")).containsExactly("▁a", "<extra_id_0>", "▁b", "</s>");
        assertThat(tokenizer.encode("a </s>")).containsExactly(8, 1);
        assertThat(tokenizer.encode("<extra_id_0><extra_id_99>")).containsExactly(1099, 1000, 1);
        assertThat(tokenizer.size()).isEqualTo(1100);
    }
}
