package dev.cogvideox.world.model;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.text.T5Tokenizer;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.synth.SyntheticCheckpoint;
import dev.cogvideox.synth.Variant;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.world.Combination;
import dev.cogvideox.world.eval.PipelineVideoSource;
import dev.cogvideox.world.prompt.Captions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorldModelTest {
    @TempDir
    static Path tmp;
    static Path untrained;

    @BeforeAll
    static void writeUntrained() {
        untrained = tmp.resolve("untrained");
        WorldModel.write(untrained, 0, DType.F32, null, 0.7, null);
    }

    @Test
    void everyCaptionIsOnePiecePerWordWithoutUnknownsAndFitsTheTextLength() {
        T5Tokenizer tokenizer = T5Tokenizer.fromPretrained(untrained.resolve("tokenizer"));
        int unk = tokenizer.spModel().unkId();
        Set<String> seen = new HashSet<>();
        int longest = 0, captions = 0;
        for (Combination c : Combination.all()) {
            for (String caption : Captions.all(c)) {
                captions++;
                List<String> pieces = tokenizer.tokenize(caption);
                String[] words = caption.split(" ");
                assertThat(pieces).as(caption).hasSize(words.length);
                for (int i = 0; i < words.length; i++) {
                    assertThat(pieces.get(i)).as(caption).isEqualTo("\u2581" + words[i]);
                }
                int[] ids = tokenizer.encode(caption);
                assertThat(ids).as(caption).doesNotContain(unk);
                longest = Math.max(longest, ids.length);
                seen.addAll(pieces);
            }
        }
        assertThat(captions).isGreaterThan(10_000);
        assertThat(longest).isEqualTo(13);                                  // 12 words and </s>
        assertThat(longest).isLessThanOrEqualTo(WorldModel.MAX_TEXT_TOKENS);
        assertThat(seen).hasSize(Captions.vocabulary().size() - 3);          // every word is used but the capitalised articles
        // a prompt as a user types it: capital first letter and a full stop still fit, and no piece is unknown
        for (String prompt : List.of("The orange ball is sliding towards the bottom against a grey background.",
                "An orange disc is going towards the left over a navy background.")) {
            T5Tokenizer.Encoding e = tokenizer.encode(prompt, WorldModel.MAX_TEXT_TOKENS);
            assertThat(e.droppedTokens()).as(prompt).isZero();
            assertThat(e.inputIds()).as(prompt).doesNotContain(unk);
        }
    }

    @Test
    void configsHoldOnlyTheKeysOfThePublishedModels() {
        SyntheticCheckpoint.Spec spec = WorldModel.spec(0.7);
        SyntheticCheckpoint.Spec published = SyntheticCheckpoint.Spec.of(Variant.COGVIDEOX_5B);
        assertThat(spec.transformer().keySet()).isEqualTo(published.transformer().keySet());
        assertThat(spec.vae().keySet()).isEqualTo(published.vae().keySet());
        assertThat(spec.textEncoder().keySet()).isEqualTo(published.textEncoder().keySet());
        assertThat(spec.tokenizer().keySet()).isEqualTo(published.tokenizer().keySet());
        assertThat(spec.scheduler()).isEqualTo(published.scheduler());        // CogVideoXDPMScheduler as 5b's
        assertThat(spec.transformer().get("text_embed_dim")).isEqualTo(spec.textEncoder().get("d_model"));
        assertThat(spec.transformer().get("use_rotary_positional_embeddings")).isEqualTo(true);
    }

    /** --snr-shift changes snr_shift_scale and nothing else in the scheduler config; a shift that is not positive is refused. */
    @Test
    void theSnrShiftIsTheSchedulersOneDifference() {
        Map<String, Object> base = WorldModel.spec(0.7).scheduler(), shifted = WorldModel.spec(0.7, WorldModel.Design.DEFAULT.withSnrShift(0.05)).scheduler();
        assertThat(shifted.keySet()).isEqualTo(base.keySet());
        assertThat(shifted.get("snr_shift_scale")).isEqualTo(0.05);
        Map<String, Object> rest = new java.util.HashMap<>(shifted);
        rest.put("snr_shift_scale", base.get("snr_shift_scale"));
        assertThat(rest).isEqualTo(base);
        assertThatThrownBy(() -> WorldModel.Design.DEFAULT.withSnrShift(0)).hasMessageContaining("SNR shift");
        assertThatThrownBy(() -> WorldModel.Design.DEFAULT.withHeads(0)).hasMessageContaining("attention heads");
    }

    /** --heads widens the transformer (inner width and time embedding 32 x heads) and changes nothing else. */
    @Test
    void moreHeadsWidenOnlyTheTransformer() {
        SyntheticCheckpoint.Spec base = WorldModel.spec(0.7), wide = WorldModel.spec(0.7, WorldModel.Design.DEFAULT.withHeads(8));
        assertThat(base.transformer().get("num_attention_heads")).isEqualTo(4);
        assertThat(wide.transformer().get("num_attention_heads")).isEqualTo(8);
        assertThat(wide.transformer().get("attention_head_dim")).isEqualTo(32);
        assertThat(wide.transformer().get("time_embed_dim")).isEqualTo(256);
        Map<String, Object> rest = new java.util.HashMap<>(wide.transformer());
        rest.put("num_attention_heads", 4);
        rest.put("time_embed_dim", 128);
        assertThat(rest).usingRecursiveComparison().isEqualTo(base.transformer());
        assertThat(wide.vae()).usingRecursiveComparison().isEqualTo(base.vae());
        assertThat(wide.textEncoder()).usingRecursiveComparison().isEqualTo(base.textEncoder());
    }

    @Test
    void theUntrainedFolderGeneratesAVideoOfItsSize() {
        PipelineVideoSource source = new PipelineVideoSource(untrained, 2, 6.0);
        assertThat(new int[]{source.frames(), source.height(), source.width()}).containsExactly(17, 96, 96);
        Tensor video = source.video("a yellow triangle moving right on a navy background", 0, new CancellationToken());
        assertThat(video.shape()).containsExactly(17, 3, 96, 96);
        for (float v : video.data()) {
            assertThat(v).isBetween(0f, 1f);
        }
    }

    @Test
    void trainedComponentsAreCopiedInAsTheDtypeAsked() throws Exception {
        Path other = tmp.resolve("other-seed");
        WorldModel.write(other, 7, DType.F32, null, 0.7, null);
        Path assembled = tmp.resolve("assembled");
        WorldModel.write(assembled, 0, DType.BF16, other.resolve("vae"), 1.25, other.resolve("transformer"));
        try (WeightStore from = WeightStore.open(other.resolve("transformer")); WeightStore to = WeightStore.open(assembled.resolve("transformer"));
             WeightStore random = WeightStore.open(untrained.resolve("transformer"))) {
            String name = "transformer_blocks.0.attn1.to_q.weight";
            assertThat(to.entry(name).dtype()).isEqualTo(DType.BF16);
            float[] want = from.entry(name).toTensor().data(), got = to.entry(name).toTensor().data(), seed0 = random.entry(name).toTensor().data();
            assertThat(Arrays.equals(want, seed0)).isFalse();
            for (int i = 0; i < want.length; i++) {
                assertThat(got[i]).isCloseTo(want[i], org.assertj.core.data.Offset.offset(Math.abs(want[i]) / 128 + 1e-30f));
            }
        }
        try (WeightStore vae = WeightStore.open(assembled.resolve("vae"))) {
            assertThat(vae.entry("encoder.conv_in.conv.weight").dtype()).isEqualTo(DType.BF16);
        }
        assertThat(Files.readString(assembled.resolve("vae/config.json"))).contains("\"scaling_factor\" : 1.25");
        // text encoder: the seeded random initialisation, whatever was trained
        assertThat(Files.mismatch(assembled.resolve("text_encoder/config.json"), untrained.resolve("text_encoder/config.json"))).isEqualTo(-1);

        assertThatThrownBy(() -> WorldModel.write(tmp.resolve("wrong"), 0, DType.BF16, null, 0.7, other.resolve("vae")))
                .hasMessageContaining(other.resolve("vae").toString()).hasMessageContaining("no tensor");
        assertThat(tmp.resolve("wrong")).doesNotExist();
        assertThatThrownBy(() -> WorldModel.write(assembled, 0, DType.BF16, null, 0.7, null)).hasMessageContaining("exists");
    }

    @Test
    void anUntrainedVaeReconstructsNothing() {
        // random weights decode to something unrelated to the clip: far below the 30+ dB of a usable VAE, and finite
        assertThat(WorldModel.reconstruction(untrained.resolve("vae"), 1, 0).psnr()).isFinite().isBetween(0.0, 15.0);
    }
}
