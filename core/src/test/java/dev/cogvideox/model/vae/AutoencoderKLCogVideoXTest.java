package dev.cogvideox.model.vae;

import dev.cogvideox.io.ModelFormatException;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.progress.RecordingListener;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Input rules, frame batching and streaming of the VAE, on the fixtures' tiny 2b VAE (the golden cases cover the numbers). */
class AutoencoderKLCogVideoXTest {
    private static final Path VAE_DIR = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b/vae");
    private static AutoencoderKLCogVideoX vae;

    @BeforeAll
    static void load() {
        vae = AutoencoderKLCogVideoX.load(VAE_DIR);
    }

    @AfterAll
    static void close() {
        vae.close();
    }

    @Test
    void frameBatchesPutTheRemainderFirst() {
        assertThat(AutoencoderKLCogVideoX.frameBatches(9, 8)).containsExactly(new int[] {0, 9});
        assertThat(AutoencoderKLCogVideoX.frameBatches(17, 8)).containsExactly(new int[] {0, 9}, new int[] {9, 17});
        assertThat(AutoencoderKLCogVideoX.frameBatches(13, 8)).containsExactly(new int[] {0, 13});
        assertThat(AutoencoderKLCogVideoX.frameBatches(1, 8)).containsExactly(new int[] {0, 1});
        assertThat(AutoencoderKLCogVideoX.frameBatches(13, 2)).hasSize(6).first().isEqualTo(new int[] {0, 3});
    }

    @Test
    void encodeRejectsAVideoOfNoFrames() {
        assertThatThrownBy(() -> vae.encode(Tensor.zeros(1, 3, 0, 16, 16)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no frames");
    }

    @Test
    void encodeRejectsSizesNotMultipleOfEight() {
        assertThatThrownBy(() -> vae.encode(Tensor.zeros(1, 3, 1, 30, 32)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("height 30").hasMessageContaining("multiples of 8");
    }

    @Test
    void encodeRejectsWrongChannelCount() {
        assertThatThrownBy(() -> vae.encode(Tensor.zeros(1, 4, 1, 16, 16)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("4 channels").hasMessageContaining("in_channels is 3");
    }

    @Test
    void decodeRejectsTransformerLayout() {
        assertThatThrownBy(() -> vae.decode(Tensor.zeros(1, 3, 16, 4, 4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("latent_channels is 16").hasMessageContaining("[B, F, C, H, W]");
    }

    @Test
    void configThatDoesNotMatchTheWeightsNamesTheTensor(@TempDir Path dir) throws IOException {
        String config = Files.readString(VAE_DIR.resolve("config.json")).replace("\"layers_per_block\": 2", "\"layers_per_block\": 3");
        Files.writeString(dir.resolve("config.json"), config);
        Files.createSymbolicLink(dir.resolve("diffusion_pytorch_model.safetensors"), VAE_DIR.resolve("diffusion_pytorch_model.safetensors").toAbsolutePath());
        assertThatThrownBy(() -> AutoencoderKLCogVideoX.load(dir))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("encoder.down_blocks.0.resnets.2");
    }

    @Test
    void decodeStreamsFrameBatchesInOrder() {
        Random rnd = new Random(42);
        Tensor z = Tensor.zeros(1, 16, 5, 2, 3);
        for (int i = 0; i < z.numel(); i++) {
            z.data()[i] = (float) rnd.nextGaussian();
        }
        List<int[]> calls = new ArrayList<>();
        List<Tensor> frames = new ArrayList<>();
        vae.decode(z, vae.defaultOptions(), RunContext.NONE, (sample, first, f) -> {
            calls.add(new int[] {sample, first, f.dim(2)});
            frames.add(f);
        });
        // latent batches [0:3] and [3:5] give 9 and 8 frames
        assertThat(calls).containsExactly(new int[] {0, 0, 9}, new int[] {0, 9, 8});
        Tensor whole = vae.decode(z);
        assertThat(whole.shape()).containsExactly(1, 3, 17, 16, 24);
        // same computation twice; not bit-exact only because MatMul's lane reduction order differs before and after JIT
        assertThat(dev.cogvideox.tensor.Conv3dTest.normalisedError(dev.cogvideox.tensor.Layout.cat(2, frames), whole)).isLessThan(1e-12);
    }

    @Test
    void cancelledDecodeStopsBeforeTheNextFrameBatch() {
        Tensor z = Tensor.zeros(1, 16, 5, 2, 3);
        dev.cogvideox.progress.CancellationToken token = new dev.cogvideox.progress.CancellationToken();
        List<Integer> batches = new ArrayList<>();
        assertThatThrownBy(() -> vae.decode(z, vae.defaultOptions(), RunContext.of(ProgressListener.NONE, token), (sample, first, f) -> {
            batches.add(first);
            token.cancel();
        })).isInstanceOf(java.util.concurrent.CancellationException.class);
        assertThat(batches).containsExactly(0);
    }

    @Test
    void tiledDecodeStreamsEveryFrameBatch() {
        Random rnd = new Random(9);
        Tensor z = Tensor.zeros(1, 16, 5, 8, 8);
        for (int i = 0; i < z.numel(); i++) {
            z.data()[i] = (float) rnd.nextGaussian();
        }
        List<int[]> calls = new ArrayList<>();
        vae.decode(z, vae.defaultOptions().withTiling(true), RunContext.NONE, (sample, first, f) -> calls.add(new int[] {first, f.dim(2), f.dim(3), f.dim(4)}));
        assertThat(calls).containsExactly(new int[] {0, 9, 64, 64}, new int[] {9, 8, 64, 64});
    }

    @Test
    void tiledDecodeReportsEveryDecoderPassBeforeTheFramesArrive() {
        Tensor z = Tensor.zeros(1, 16, 5, 8, 8);
        RecordingListener progress = new RecordingListener(null);
        List<String> events = progress.calls;
        vae.decode(z, vae.defaultOptions().withTiling(true), RunContext.of(progress, CancellationToken.NONE), (sample, first, f) -> events.add("frames " + first));
        events.removeIf(e -> e.startsWith("part "));    // the parts inside each pass: decoderPassesReportTheirParts
        // Tiles of half the config's 96x80 sample: 6x5 latents at strides int(6 * 5/6) = 5 and int(5 * 4/5) = 4, so
        // 2 x 2 tiles over the 8x8 latents, each through 2 frame batches: 8 decoder passes, then the blended batches.
        assertThat(events).containsExactly("decoding 8", "done 1", "done 2", "done 3", "done 4", "done 5", "done 6", "done 7",
                "done 8", "frames 0", "frames 9", "end");
    }

    /**
     * Inside one decoder pass (minutes at full size): conv_in with the mid block, two convolutions per resnet of the 4 up
     * blocks (layers_per_block 2 + 1 = 3 resnets each), the 3 upsamplers, conv_out: 2 + 4 x 6 + 3 = 29 parts; a cancel
     * stops the pass at the next part.
     */
    @Test
    void decoderPassesReportTheirPartsAndStopInsideAPassWhenCancelled() {
        Tensor z = Tensor.zeros(1, 16, 2, 4, 4);
        RecordingListener progress = new RecordingListener(null);
        vae.decode(z, vae.defaultOptions(), RunContext.of(progress, CancellationToken.NONE), (sample, first, f) -> { });
        java.util.List<String> want = new java.util.ArrayList<>(List.of("decoding 1"));
        for (int k = 1; k <= 29; k++) {
            want.add("part " + k + "/29");
        }
        want.addAll(List.of("done 1", "end"));
        assertThat(progress.calls).containsExactlyElementsOf(want);
        RecordingListener cancelled = new RecordingListener("part 5/29");
        assertThatThrownBy(() -> vae.decode(z, vae.defaultOptions(), RunContext.of(cancelled, cancelled.cancel), (sample, first, f) -> { }))
                .isInstanceOf(java.util.concurrent.CancellationException.class);
        assertThat(cancelled.calls).containsExactly("decoding 1", "part 1/29", "part 2/29", "part 3/29", "part 4/29", "part 5/29", "end");
    }

    /** Inside one encoder pass: conv_in, 4 down blocks of 2 resnets (2 convolutions each) and 3 downsamplers, mid + conv_out: 21. */
    @Test
    void encoderPassesReportTheirParts() {
        RecordingListener progress = new RecordingListener(null);
        vae.encode(Tensor.zeros(1, 3, 1, 32, 32), vae.defaultOptions(), RunContext.of(progress, progress.cancel));
        java.util.List<String> want = new java.util.ArrayList<>(List.of("encoding 1"));
        for (int k = 1; k <= 21; k++) {
            want.add("part " + k + "/21");
        }
        want.addAll(List.of("done 1", "end"));
        assertThat(progress.calls).containsExactlyElementsOf(want);
    }

    @Test
    void tiledEncodeReportsEveryEncoderPassAndStopsAtTheNextWhenCancelled() {
        Tensor x = Tensor.zeros(1, 3, 17, 64, 64);
        RecordingListener progress = new RecordingListener(null);
        vae.encode(x, vae.defaultOptions().withTiling(true), RunContext.of(progress, progress.cancel));
        progress.calls.removeIf(e -> e.startsWith("part "));
        // Tiles of half the config's 96x80 sample: 48x40 pixels at strides int(48 * 5/6) = 40 and int(40 * 4/5) = 32,
        // so 2 x 2 tiles over 64x64, each through 2 frame batches (17 frames: 9, then 8).
        assertThat(progress.calls).containsExactly("encoding 8", "done 1", "done 2", "done 3", "done 4", "done 5", "done 6",
                "done 7", "done 8", "end");
        RecordingListener cancelled = new RecordingListener("done 1");
        assertThatThrownBy(() -> vae.encode(x, vae.defaultOptions().withTiling(true), RunContext.of(cancelled, cancelled.cancel)))
                .isInstanceOf(java.util.concurrent.CancellationException.class);
        cancelled.calls.removeIf(e -> e.startsWith("part "));
        assertThat(cancelled.calls).containsExactly("encoding 8", "done 1", "end");
    }

    @Test
    void posteriorSampleIsMeanPlusStdTimesNoise() {
        Tensor moments = Tensor.of(new float[] {1, 2, 0, -100}, 1, 4, 1, 1, 1);
        DiagonalGaussianDistribution p = DiagonalGaussianDistribution.of(moments);
        assertThat(p.logvar().data()).containsExactly(0, -30);
        Tensor s = p.sample(Tensor.of(new float[] {2, 1}, 1, 2, 1, 1, 1));
        assertThat(s.data()[0]).isEqualTo(3f);
        assertThat(s.data()[1]).isCloseTo(2f, org.assertj.core.api.Assertions.within(1e-6f));
    }

    /** diffusers' enable_tiling: each argument given replaces the current value, None or 0 keeps it ({@code x or self.x}). */
    @Test
    void enableTilingReplacesOnlyWhatIsGiven() {
        VaeOptions d = vae.defaultOptions();
        VaeOptions o = d.enableTiling(32, null, 0.25, null);
        assertThat(o.useTiling()).isTrue();
        assertThat(o.tileSampleMinHeight()).isEqualTo(32);
        assertThat(o.tileSampleMinWidth()).isEqualTo(d.tileSampleMinWidth());
        assertThat(o.tileOverlapFactorHeight()).isEqualTo(0.25);
        assertThat(o.tileOverlapFactorWidth()).isEqualTo(1.0 / 5);
        VaeOptions zeros = o.enableTiling(0, 0, 0.0, 0.0);
        assertThat(zeros).isEqualTo(o);                               // Python's `0 or x` is x
        assertThat(o.tileLatentMinHeight(8)).isEqualTo(4);
        assertThat(VaeTiling.tiles(32, null, 0.25, null).applyTo(d)).isEqualTo(o);
        assertThat(VaeTiling.OFF.applyTo(o).useTiling()).isFalse();
        assertThatThrownBy(() -> VaeTiling.tiles(-8, null, null, null)).hasMessageContaining("positive");
        assertThatThrownBy(() -> VaeTiling.tiles(null, null, 1.0, null)).hasMessageContaining("[0, 1)");
    }

    /**
     * The frame size a tiled decode returns is the sum of the tiles' kept parts, as in diffusers: the real decode of
     * {@code decodedSize}'s worst case (24-pixel tiles, overlap 1/5, 8 latent columns) is 76 wide, and a fitting tile 64.
     */
    @Test
    void decodedSizeIsWhatTheTiledDecodeReturns() {
        Tensor z = new dev.cogvideox.random.TorchGenerator(3).randn(1, 16, 1, 8, 8);
        for (VaeOptions o : List.of(vae.defaultOptions().enableTiling(null, 24, null, null), vae.defaultOptions().enableTiling(32, 32, 0.25, 0.25),
                vae.defaultOptions())) {
            Tensor x = vae.decode(z, o, RunContext.NONE);
            assertThat(AutoencoderKLCogVideoX.decodedSize(vae.config(), 8, 8, o)).containsExactly(x.dim(3), x.dim(4));
        }
        assertThat(AutoencoderKLCogVideoX.decodedSize(vae.config(), 8, 8, vae.defaultOptions().enableTiling(null, 24, null, null)))
                .containsExactly(64, 76);
    }

    /** encodedFrames / decodedFrames against the encoder and decoder themselves, for frame counts around the batches. */
    @Test
    void frameCountRulesMatchTheModules() {
        dev.cogvideox.random.TorchGenerator g = new dev.cogvideox.random.TorchGenerator(4);
        for (int frames : new int[] {1, 2, 3, 4, 6, 9, 12, 16, 17, 20}) {
            Tensor x = g.randn(1, 3, frames, 16, 16);
            assertThat(vae.encode(x).mean().dim(2)).as("%d frames", frames).isEqualTo(vae.encodedFrames(frames, vae.defaultOptions()));
        }
        for (int latent = 1; latent <= 6; latent++) {
            Tensor z = g.randn(1, 16, latent, 2, 2);
            assertThat(vae.decode(z).dim(2)).as("%d latent frames", latent).isEqualTo(vae.decodedFrames(latent, vae.defaultOptions()));
        }
    }
}
