package dev.cogvideox.batch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PromptFileTest {
    @TempDir
    Path tmp;

    @Test
    void readsOneObjectPerLineWithItsOutputAndSkipsBlankLines() throws IOException {
        Path file = tmp.resolve("p.jsonl");
        Files.writeString(file, "{\"prompt\": \"a\", \"seed\": 7, \"output\": \"clips/a.gif\"}\n\n  \n{\"prompt\": \"b\"}\n");
        List<PromptFile.Line> lines = PromptFile.read(file);
        assertThat(lines).extracting(PromptFile.Line::number).containsExactly(1, 4);
        assertThat(lines.get(0).output()).isEqualTo("clips/a.gif");
        assertThat(lines.get(0).options().toString()).isEqualTo("{\"prompt\":\"a\",\"seed\":7}");     // output taken out
        assertThat(lines.get(1).output()).isEqualTo("00004.mp4");                                     // by line number
        assertThat(lines).allSatisfy(l -> assertThat(l.error()).isNull());
    }

    @Test
    void aLineThatIsNotAnObjectIsKeptWithTheReasonAndNoParserInternals() {
        PromptFile.Line broken = PromptFile.parse(3, "{\"prompt\": \"a\"");
        assertThat(broken.error()).startsWith("not valid JSON: Unexpected end-of-input").contains("column")
                .doesNotContain("Source").doesNotContain("REDACTED");
        assertThat(PromptFile.parse(4, "[1, 2]").error()).contains("a JSON object is expected").endsWith("not an array");
        assertThat(PromptFile.parse(5, "{\"prompt\": \"a\", \"output\": 3}").error()).contains("\"output\" must be a file name").endsWith("a number");
    }

    @Test
    void anOutputMustStayInsideTheOutputFolder() {
        assertThat(PromptFile.checkOutput("frames/")).isEqualTo("frames/");
        assertThat(PromptFile.checkOutput("a/./b.mp4")).isEqualTo("a/b.mp4");
        assertThat(PromptFile.checkOutput("a/../b.mp4")).isEqualTo("b.mp4");
        for (String bad : new String[]{"/etc/x.mp4", "../x.mp4", "a/../../x.mp4", "", ".", "manifest.jsonl"}) {
            assertThatThrownBy(() -> PromptFile.checkOutput(bad)).as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"output\"");
        }
    }

    @Test
    void aFileWithoutPromptsOrMissingIsRefusedWithItsName() throws IOException {
        Path empty = Files.writeString(tmp.resolve("empty.jsonl"), "\n\n");
        assertThatThrownBy(() -> PromptFile.read(empty)).hasMessageContaining("empty.jsonl has no prompts");
        assertThatThrownBy(() -> PromptFile.read(tmp.resolve("none.jsonl"))).hasMessageContaining("none.jsonl: no such file");
    }
}
