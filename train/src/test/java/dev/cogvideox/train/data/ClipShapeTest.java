package dev.cogvideox.train.data;

import dev.cogvideox.train.run.Stage;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One parser for WIDTHxHEIGHTxFRAMES: train-vae's --size and --crop, and each stage of train's --stages. */
class ClipShapeTest {
    @Test
    void parsesWidthHeightFrames() {
        assertThat(ClipShape.parse("96x64x17", "--size")).isEqualTo(new ClipShape(96, 64, 17));
        assertThat(ClipShape.parse(" 16X8x1 ", "--crop")).isEqualTo(new ClipShape(16, 8, 1));
        assertThat(Stage.parseList("32x32x5:6,64x64x9:3", "--stages")).containsExactly(
                new Stage(new ClipShape(32, 32, 5), 6), new Stage(new ClipShape(64, 64, 9), 3));
        assertThat(Stage.parseList("32x32x5:6@low, 64x64x9:3@high-2", "--stages")).containsExactly(
                new Stage(new ClipShape(32, 32, 5), 6, "low"), new Stage(new ClipShape(64, 64, 9), 3, "high-2"));
        assertThat(Stage.parseList("32x32x5:6@low,64x64x9:3", "--stages").toString()).isEqualTo("[32x32x5:6@low, 64x64x9:3]");
    }

    @Test
    void errorsNameTheOptionTheValueAndWhatIsWrong() {
        assertThatThrownBy(() -> ClipShape.parse("16x16", "--size")).hasMessage("--size 16x16: expected WIDTHxHEIGHTxFRAMES, e.g. 96x96x17");
        assertThatThrownBy(() -> ClipShape.parse("16x16xa", "--size")).hasMessageContaining("expected WIDTHxHEIGHTxFRAMES");
        assertThatThrownBy(() -> ClipShape.parse("-16x16x5", "--size")).hasMessageContaining("expected WIDTHxHEIGHTxFRAMES");
        assertThatThrownBy(() -> ClipShape.parse("99999999999x16x5", "--crop"))
                .hasMessage("--crop 99999999999x16x5: a number is too large: 99999999999");
        assertThatThrownBy(() -> ClipShape.parse("20x16x5", "--size")).hasMessage("--size 20x16x5: resolution 20x16: width and height "
                + "must be positive multiples of 8");
        assertThatThrownBy(() -> ClipShape.parse("16x16x8", "--crop")).hasMessageContaining("--crop 16x16x8: 8 frames: the VAE takes 4k+1");
    }

    @Test
    void aStagesErrorNamesTheOptionTheListAndTheStage() {
        assertThatThrownBy(() -> Stage.parseList("32x32x5:2,32x32x8:2", "--stages"))
                .hasMessage("--stages 32x32x5:2,32x32x8:2: stage '32x32x8:2': 8 frames: the VAE takes 4k+1 frames (1, 5, 9, ..., 49)");
        assertThatThrownBy(() -> Stage.parseList("32x32x5", "--stages"))
                .hasMessage("--stages 32x32x5: stage '32x32x5': expected WIDTHxHEIGHTxFRAMES:STEPS, e.g. 256x256x9:500");
        assertThatThrownBy(() -> Stage.parseList("32x32:5", "--stages"))
                .hasMessage("--stages 32x32:5: stage '32x32:5': expected WIDTHxHEIGHTxFRAMES, e.g. 96x96x17");
        assertThatThrownBy(() -> Stage.parseList("32x32x5:0", "--stages")).hasMessageContaining("needs at least one step");
        assertThatThrownBy(() -> Stage.parseList("32x32x5:2@", "--stages")).hasMessageStartingWith("--stages 32x32x5:2@: stage '32x32x5:2@': "
                + "selection '': a name of the dataset's selections/NAME.jsonl");
        assertThatThrownBy(() -> Stage.parseList("32x32x5:2@a/b", "--stages")).hasMessageContaining("selection 'a/b'");
        assertThatThrownBy(() -> Stage.parseList("32x32x5@a:2", "--stages")).hasMessageContaining("stage '32x32x5@a:2': expected");
    }
}
