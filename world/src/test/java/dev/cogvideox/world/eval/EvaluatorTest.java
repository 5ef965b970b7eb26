package dev.cogvideox.world.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.world.Combination;
import dev.cogvideox.world.HeldOut;
import dev.cogvideox.world.Shape;
import dev.cogvideox.world.prompt.PromptParser;
import dev.cogvideox.world.render.ClipRenderer;
import dev.cogvideox.world.render.ClipSampler;
import dev.cogvideox.world.render.ClipSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EvaluatorTest {
    @TempDir
    Path tmp;

    /** A perfect model: renders what the prompt says. */
    private static final VideoSource TRUTH = (prompt, seed, cancel) ->
            ClipRenderer.tensor(ClipSampler.sample(PromptParser.parse(prompt), 64, 64, 9, ClipSampler.stream(seed, 0)));

    /** A model that gets the direction backwards. */
    private static final VideoSource BACKWARDS = (prompt, seed, cancel) -> {
        Combination c = PromptParser.parse(prompt);
        Combination flipped = new Combination(c.colour(), c.shape(), c.direction().opposite(), c.background());
        return ClipRenderer.tensor(ClipSampler.sample(flipped, 64, 64, 9, ClipSampler.stream(seed, 0)));
    };

    @Test
    void groundTruthScoresPerfectlyOnBothGroups() {
        List<EvalPrompt> prompts = EvalPrompt.defaults(10, 0);
        List<String> lines = new ArrayList<>();
        EvalReport r = Evaluator.run(prompts, 2, TRUTH, Map.of("model", "truth"), Evaluator.lines(lines::add), new CancellationToken());
        assertThat(r.videos()).hasSize(2 * (28 + 10));
        assertThat(lines).hasSize(2 * 38);
        assertThat(lines.getFirst()).startsWith("[1/76] " + HeldOut.combinations().getFirst().prompt() + ", seed 0 (held-out)").contains(": all right");
        for (GroupScore g : List.of(r.heldOut(), r.seen())) {
            assertThat(List.of(g.colour(), g.shape(), g.direction(), g.allThree(), g.found())).containsOnly(1.0);
            assertThat(g.backgroundFlicker()).isZero();
        }
        assertThat(r.heldOut().videos()).isEqualTo(56);
        assertThat(r.seen().videos()).isEqualTo(20);
    }

    @Test
    void aModelThatMovesShapesBackwardsScoresZeroOnDirectionOnly() throws IOException {
        EvalReport r = Evaluator.run(EvalPrompt.defaults(4, 0), 1, BACKWARDS, Map.of(), Evaluator.VideoListener.NONE, new CancellationToken());
        for (GroupScore g : List.of(r.heldOut(), r.seen())) {
            assertThat(g.colour()).isEqualTo(1.0);
            assertThat(g.shape()).isEqualTo(1.0);
            assertThat(g.direction()).isZero();
            assertThat(g.allThree()).isZero();
        }
        JsonNode json = new ObjectMapper().readTree(r.toJson());
        assertThat(json.at("/groups/held_out/videos").asInt()).isEqualTo(28);
        assertThat(json.at("/groups/seen/videos").asInt()).isEqualTo(4);
        assertThat(json.at("/groups/seen/direction").asDouble()).isZero();
        assertThat(json.get("videos")).hasSize(32);
        JsonNode first = json.get("videos").get(0);
        Combination c = HeldOut.combinations().getFirst();
        assertThat(first.at("/expected/direction").asText()).isEqualTo(c.direction().word());
        assertThat(first.at("/detected/direction").asText()).isEqualTo(c.direction().opposite().word());
        assertThat(first.get("direction_right").asBoolean()).isFalse();
        assertThat(first.get("colour_right").asBoolean()).isTrue();
        assertThat(r.toText()).contains("held-out", "seen", "0.0%", "100.0%");
        // every shape read as asked: the confusion is diagonal, and its rows add up to the videos asking for that shape
        for (Shape asked : Shape.values()) {
            long videos = r.videos().stream().filter(v -> v.prompt().expected().shape() == asked).count();
            assertThat(json.at("/shape_confusion/" + asked.word() + "/" + asked.word()).asLong()).isEqualTo(videos).isPositive();
            assertThat(r.shapeConfusion().get(asked).values().stream().mapToInt(Integer::intValue).sum()).isEqualTo((int) videos);
        }
    }

    /** A model that draws every shape as a circle: the confusion puts every video in the circle column. */
    @Test
    void theShapeConfusionSaysWhatEachShapeWasDrawnAs() {
        VideoSource blobs = (prompt, seed, cancel) -> {
            Combination c = PromptParser.parse(prompt);
            return ClipRenderer.tensor(ClipSampler.sample(new Combination(c.colour(), Shape.CIRCLE, c.direction(), c.background()), 64, 64, 9,
                    ClipSampler.stream(seed, 0)));
        };
        EvalReport r = Evaluator.run(EvalPrompt.defaults(8, 0), 1, blobs, Map.of(), Evaluator.VideoListener.NONE, new CancellationToken());
        for (Shape asked : Shape.values()) {
            Map<String, Integer> row = r.shapeConfusion().get(asked);
            long videos = r.videos().stream().filter(v -> v.prompt().expected().shape() == asked).count();
            assertThat(row).containsOnlyKeys("circle", "square", "triangle", "none");
            assertThat(row.get("circle")).isEqualTo((int) videos);
            assertThat(row.get("square") + row.get("triangle") + row.get("none")).isZero();
        }
        assertThat(r.toText()).contains("shape asked").containsPattern("square\\s+" + r.shapeConfusion().get(Shape.SQUARE).get("circle") + "\\s+0\\s+0\\s+0");
    }

    @Test
    void theDefaultPromptsAreTheHeldOutListAndAFixedSampleOfSeenOnes() {
        List<EvalPrompt> a = EvalPrompt.defaults(30, 0);
        assertThat(a).hasSize(58).isEqualTo(EvalPrompt.defaults(30, 0));
        assertThat(a.subList(0, 28)).extracting(EvalPrompt::expected).containsExactlyElementsOf(HeldOut.combinations());
        assertThat(a.subList(0, 28)).allMatch(EvalPrompt::heldOut);
        assertThat(a.subList(28, 58)).noneMatch(EvalPrompt::heldOut).extracting(EvalPrompt::expected)
                .doesNotHaveDuplicates().noneMatch(HeldOut::contains);
        assertThatThrownBy(() -> EvalPrompt.defaults(300, 0)).hasMessageContaining("--seen must be between 0 and 224");
    }

    @Test
    void aPromptFileIsGroupedByItsCombinationsAndBadLinesAreNamed() throws IOException {
        Path file = tmp.resolve("prompts.txt");
        Combination held = HeldOut.combinations().get(3), seen = HeldOut.seen().get(5);
        Files.write(file, List.of("# mine", held.prompt(), "", "the " + seen.words().split(" ")[0] + " " + seen.shape().word() + " moves "
                + seen.direction().word() + " on a " + seen.background().word() + " background."));
        List<EvalPrompt> prompts = EvalPrompt.read(file);
        assertThat(prompts).extracting(EvalPrompt::expected).containsExactly(held, seen);
        assertThat(prompts).extracting(EvalPrompt::heldOut).containsExactly(true, false);
        Files.write(file, List.of(held.prompt(), "a cat on a mat"));
        assertThatThrownBy(() -> EvalPrompt.read(file)).hasMessageContaining("line 2").hasMessageContaining("'a cat on a mat'");
    }
}
