package dev.cogvideox.world.prompt;

import dev.cogvideox.world.Background;
import dev.cogvideox.world.Colour;
import dev.cogvideox.world.Combination;
import dev.cogvideox.world.Direction;
import dev.cogvideox.world.Shape;
import dev.cogvideox.world.render.ClipSampler;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PromptParserTest {
    @Test
    void everyCaptionOfEveryCombinationParsesBackToIt() {
        Set<String> allCaptions = new HashSet<>();
        for (Combination c : Combination.all()) {
            assertThat(PromptParser.parse(c.prompt())).isEqualTo(c);
            List<String> captions = Captions.all(c);
            assertThat(captions).contains(c.prompt()).doesNotHaveDuplicates();
            for (String caption : captions) {
                assertThat(PromptParser.parse(caption)).as(caption).isEqualTo(c);
                assertThat(allCaptions.add(caption)).as("%s describes two combinations", caption).isTrue();
            }
        }
    }

    @Test
    void drawnCaptionsAreAmongTheVariantsAndHalfAreCanonical() {
        SplittableRandom random = ClipSampler.stream(5, 0);
        int canonical = 0, n = 2000;
        for (int i = 0; i < n; i++) {
            Combination c = Combination.all().get(random.nextInt(Combination.all().size()));
            String caption = Captions.caption(c, random);
            assertThat(Captions.all(c)).contains(caption);
            canonical += caption.equals(c.prompt()) ? 1 : 0;
        }
        assertThat(canonical).isBetween(n / 2 - 100, n / 2 + 100);
    }

    @Test
    void theBriefsVariantsAndLooseTypingAreRead() {
        Combination redLeft = new Combination(Colour.RED, Shape.CIRCLE, Direction.LEFT, Background.BLACK);
        assertThat(PromptParser.parse("a red ball moves towards the left on a black background")).isEqualTo(redLeft);
        assertThat(PromptParser.parse("A red circle is moving left on a black background.")).isEqualTo(redLeft);
        assertThat(PromptParser.parse("  the Red   circle moving to the left against the black background ")).isEqualTo(redLeft);
        assertThat(PromptParser.parse("a orange square moving upwards on a grey background"))
                .isEqualTo(new Combination(Colour.ORANGE, Shape.SQUARE, Direction.UP, Background.GRAY));
        assertThat(PromptParser.parse("red triangle moving down on navy background"))
                .isEqualTo(new Combination(Colour.RED, Shape.TRIANGLE, Direction.DOWN, Background.NAVY));
    }

    @Test
    void otherPromptsAreRefusedSayingWhatWasExpectedWhere() {
        assertThatThrownBy(() -> PromptParser.parse("a pink circle moving left on a black background"))
                .hasMessageContaining("expected a colour").hasMessageContaining("at 'pink circle");
        assertThatThrownBy(() -> PromptParser.parse("a red hexagon moving left on a black background")).hasMessageContaining("expected a shape");
        assertThatThrownBy(() -> PromptParser.parse("a red circle moving sideways on a black background")).hasMessageContaining("expected a direction");
        assertThatThrownBy(() -> PromptParser.parse("a red circle moving left on a white background")).hasMessageContaining("expected a background colour");
        assertThatThrownBy(() -> PromptParser.parse("a red circle moving left")).hasMessageContaining("expected 'on'");
        assertThatThrownBy(() -> PromptParser.parse("a red circle moving left on a black background at night")).hasMessageContaining("the end of the prompt");
        assertThat(PromptParser.parses("a cat playing the piano")).isFalse();
    }
}
