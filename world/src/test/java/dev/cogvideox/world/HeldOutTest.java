package dev.cogvideox.world;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HeldOutTest {
    private static final List<Function<Combination, Object>> ATTRIBUTES = List.of(Combination::colour, Combination::shape,
            Combination::direction, Combination::background);

    @Test
    void theWorldHasEveryCombinationOnce() {
        assertThat(Combination.all()).hasSize(7 * 3 * 4 * 3).doesNotHaveDuplicates();
        assertThat(Colour.values()).extracting(Colour::word).containsExactly("red", "green", "blue", "yellow", "white", "orange", "purple");
        assertThat(Background.values()).extracting(Background::word).containsExactly("black", "gray", "navy");
    }

    @Test
    void heldOutAndSeenSplitTheWorld() {
        List<Combination> held = HeldOut.combinations();
        assertThat(held).hasSize(28).doesNotHaveDuplicates();
        assertThat(HeldOut.seen()).hasSize(Combination.all().size() - 28).doesNotContainAnyElementsOf(held);
        assertThat(held).allMatch(HeldOut::contains);
        assertThat(HeldOut.seen()).noneMatch(HeldOut::contains);
    }

    @Test
    void everyValueAndEveryPairOfValuesIsSeenInTrainingAndEveryValueIsHeldOutSomewhere() {
        for (int a = 0; a < ATTRIBUTES.size(); a++) {
            Set<Object> seen = values(HeldOut.seen(), ATTRIBUTES.get(a)), held = values(HeldOut.combinations(), ATTRIBUTES.get(a));
            Set<Object> all = values(Combination.all(), ATTRIBUTES.get(a));
            assertThat(seen).isEqualTo(all);
            assertThat(held).as("attribute %d held out", a).isEqualTo(all);
            for (int b = a + 1; b < ATTRIBUTES.size(); b++) {
                int ia = a, ib = b;
                Function<Combination, Object> pair = c -> List.of(ATTRIBUTES.get(ia).apply(c), ATTRIBUTES.get(ib).apply(c));
                assertThat(values(HeldOut.seen(), pair)).as("pairs of attributes %d and %d", a, b).isEqualTo(values(Combination.all(), pair));
            }
        }
    }

    @Test
    void paletteColoursAreFarApartAndFarFromEveryBackground() {
        double closestPair = Double.POSITIVE_INFINITY, closestToBackground = Double.POSITIVE_INFINITY;
        for (Colour a : Colour.values()) {
            for (Colour b : Colour.values()) {
                if (a != b) {
                    closestPair = Math.min(closestPair, a.rgb().distance(b.rgb()));
                }
            }
            for (Background bg : Background.values()) {
                closestToBackground = Math.min(closestToBackground, a.rgb().distance(bg.rgb()));
            }
        }
        assertThat(closestPair).isEqualTo(102.0);                                   // orange (255,128,0) to yellow (255,230,0)
        assertThat(closestToBackground).isCloseTo(Math.sqrt(22 * 22 + 88 * 88 + 82 * 82), org.assertj.core.data.Offset.offset(1e-9)); // purple on gray
    }

    @Test
    void wordsRoundTripAndBadLinesAreNamed() {
        for (Combination c : Combination.all()) {
            assertThat(Combination.parseWords(c.words(), "t")).isEqualTo(c);
        }
        assertThatThrownBy(() -> Combination.parseWords("red circle left", "file line 3")).hasMessageStartingWith("file line 3:");
        assertThatThrownBy(() -> Combination.parseWords("pink circle left black", "file line 4"))
                .hasMessage("file line 4: 'pink' is not a colour of the world (one of red, green, blue, yellow, white, orange, purple)");
        assertThatThrownBy(() -> Combination.parseWords("red circle left white", "file line 5")).hasMessageContaining("'white' is not a background");
        assertThat(new Combination(Colour.ORANGE, Shape.SQUARE, Direction.UP, Background.NAVY).prompt())
                .isEqualTo("an orange square moving up on a navy background");
    }

    private static Set<Object> values(List<Combination> list, Function<Combination, Object> f) {
        Set<Object> out = new HashSet<>();
        list.forEach(c -> out.add(f.apply(c)));
        return out;
    }
}
