package dev.cogvideox.world;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CombinationPatternTest {
    @Test
    void wildcardsMatchEveryValueAndWordsOnlyTheirOwn() {
        assertThat(CombinationPattern.ANY.filter(Combination.all())).hasSize(Combination.all().size());
        // 7 colours x 3 shapes x 4 directions x 3 backgrounds, none equal to its background
        assertThat(CombinationPattern.parse("* * * *", "x").filter(Combination.all())).hasSize(252);
        assertThat(CombinationPattern.parse("red * left *", "x").filter(Combination.all())).hasSize(9)
                .allMatch(c -> c.colour() == Colour.RED && c.direction() == Direction.LEFT);
        assertThat(CombinationPattern.parse("  Yellow TRIANGLE right navy ", "x").filter(Combination.all()))
                .containsExactly(Combination.parseWords("yellow triangle right navy", "x"));
        assertThat(CombinationPattern.parse("white circle * black", "x").toString()).isEqualTo("white circle * black");
    }

    @Test
    void aWrongWordOrCountIsNamed() {
        assertThatThrownBy(() -> CombinationPattern.parse("pink circle * black", "--only"))
                .hasMessage("--only: 'pink' is not a colour of the world (one of red, green, blue, yellow, white, orange, purple, or * for any)");
        assertThatThrownBy(() -> CombinationPattern.parse("red circle sideways black", "--only")).hasMessageContaining("'sideways' is not a direction");
        assertThatThrownBy(() -> CombinationPattern.parse("red circle left", "--only")).hasMessageContaining("expected 'colour shape direction background'");
    }
}
