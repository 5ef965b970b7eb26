package dev.cogvideox.cli;

import dev.cogvideox.io.video.VideoMetadata;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Several seeds and videos per run, a scheduler choice, settings stored in outputs and rerun with --from, the I2V image fit. */
class GenerateOptionsTest {
    private static final Path MODELS = GoldenSuite.defaultFixtureRoot().resolve("models");

    @TempDir
    Path tmp;

    private static List<String> base(String model, String... more) {
        List<String> args = new ArrayList<>(List.of("generate", "--model", MODELS.resolve(model).toString(), "--prompt", "a red kite",
                "--frames", "9", "--height", "64", "--width", "64", "--steps", "2"));
        args.addAll(List.of(more));
        return args;
    }

    private static CliRun run(List<String> args) {
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        return r;
    }

    /** Every pixel of every frame of a PNG frames folder, one after the other. */
    private static List<Integer> pixels(Path folder) throws IOException {
        List<Integer> all = new ArrayList<>();
        try (Stream<Path> s = Files.list(folder)) {
            for (Path p : s.sorted().toList()) {
                BufferedImage img = ImageIO.read(p.toFile());
                for (int v : img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth())) {
                    all.add(v);
                }
            }
        }
        assertThat(all).as(folder.toString()).isNotEmpty();
        return all;
    }

    @Test
    void severalSeedsAndVideosPerPromptInOneRun() throws IOException {
        List<String> args = base("tiny-cogvideox-2b", "--seed", "1,2", "--num-videos", "2", "--output", tmp.resolve("v") + "/");
        CliRun r = run(args);
        for (String name : List.of("v-1-1", "v-1-2", "v-2-1", "v-2-2")) {
            assertThat(tmp.resolve(name).resolve("frame_0008.png")).as(r.out()).isRegularFile();
            assertThat(r.out()).contains("to " + tmp.resolve(name));
        }
        assertThat(pixels(tmp.resolve("v-1-1"))).as("two videos of one batch differ").isNotEqualTo(pixels(tmp.resolve("v-1-2")));
        assertThat(pixels(tmp.resolve("v-1-1"))).as("two seeds differ").isNotEqualTo(pixels(tmp.resolve("v-2-1")));
        // each seed is a run of its own: seed 2 of "--seed 1,2" is the video "--seed 2" alone makes
        run(base("tiny-cogvideox-2b", "--seed", "1,2", "--output", tmp.resolve("s") + "/"));
        run(base("tiny-cogvideox-2b", "--seed", "2", "--output", tmp.resolve("alone") + "/"));
        assertThat(pixels(tmp.resolve("s-2"))).isEqualTo(pixels(tmp.resolve("alone")));
        assertThat(pixels(tmp.resolve("s-1"))).isNotEqualTo(pixels(tmp.resolve("alone")));
    }

    @Test
    void anOutputRemembersItsSettingsAndFromRerunsThemWithOverrides() throws IOException {
        Path first = tmp.resolve("first.gif");
        CliRun r = run(base("tiny-cogvideox-2b", "--seed", "5", "--guidance", "4", "--negative-prompt", "blurry", "--output", first.toString()));
        assertThat(r.err()).contains("settings: 2b model").contains("--prompt \"a red kite\"").contains("--guidance 4.0").contains("--seed 5");
        RunSettings stored = RunSettings.readFrom(first);
        assertThat(stored.values()).containsEntry("--prompt", "a red kite").containsEntry("--seed", 5L).containsEntry("--guidance", 4.0)
                .containsEntry("--negative-prompt", "blurry").containsEntry("--steps", 2L).containsEntry("--scheduler", "ddim")
                .containsEntry("--model", MODELS.resolve("tiny-cogvideox-2b").toString());

        Path again = tmp.resolve("again");
        run(List.of("generate", "--from", first.toString(), "--output", again + "/"));
        Path reference = tmp.resolve("reference");
        run(base("tiny-cogvideox-2b", "--seed", "5", "--guidance", "4", "--negative-prompt", "blurry", "--output", reference + "/"));
        assertThat(pixels(again)).as("--from reruns the same settings").isEqualTo(pixels(reference));
        assertThat(VideoMetadata.read(again)).isEqualTo(VideoMetadata.read(reference));

        Path other = tmp.resolve("other");
        run(List.of("generate", "--from", first.toString(), "--seed", "6", "--output", other + "/"));
        assertThat(RunSettings.readFrom(other).values()).containsEntry("--seed", 6L).containsEntry("--guidance", 4.0);
        assertThat(pixels(other)).isNotEqualTo(pixels(reference));

        CliRun none = CliRun.of("generate", "--from", tmp.resolve("reference/frame_0000.png").toString().replace("reference", "nowhere"));
        assertThat(none.exit()).isEqualTo(2);
        Path plain = tmp.resolve("plain.png");
        ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), "png", plain.toFile());
        CliRun noSettings = CliRun.of("generate", "--from", plain.toString());
        assertThat(noSettings.exit()).isEqualTo(2);
        assertThat(noSettings.err()).contains("holds no generation settings");
    }

    /** Latents keep the settings too, and a batch of latents decodes to one video per sample, each with them. */
    @Test
    void latentsCarryTheSettingsToTheDecodedVideos() throws IOException {
        Path latents = tmp.resolve("z.safetensors");
        run(base("tiny-cogvideox-2b", "--num-videos", "2", "--seed", "3", "--output", latents.toString()));
        CliRun d = CliRun.of("decode", "--model", MODELS.resolve("tiny-cogvideox-2b").toString(), "--latents", latents.toString(),
                "--output", tmp.resolve("d.gif").toString());
        assertThat(d.exit()).as(d.err()).isZero();
        for (String name : List.of("d-1.gif", "d-2.gif")) {
            assertThat(RunSettings.readFrom(tmp.resolve(name)).values()).containsEntry("--seed", 3L).containsEntry("--num-videos", 2L);
        }
    }

    /** The 5b's own scheduler is DPM: --scheduler dpm changes nothing, ddim (from the same config) another video. */
    @Test
    void theSchedulerCanBeChosenForAnyModel() throws IOException {
        run(base("tiny-cogvideox-5b", "--output", tmp.resolve("own") + "/"));
        run(base("tiny-cogvideox-5b", "--scheduler", "dpm", "--output", tmp.resolve("dpm") + "/"));
        run(base("tiny-cogvideox-5b", "--scheduler", "ddim", "--no-dynamic-cfg", "--output", tmp.resolve("ddim") + "/"));
        run(base("tiny-cogvideox-5b", "--no-dynamic-cfg", "--output", tmp.resolve("own-static") + "/"));
        assertThat(pixels(tmp.resolve("dpm"))).isEqualTo(pixels(tmp.resolve("own")));
        assertThat(pixels(tmp.resolve("ddim"))).isNotEqualTo(pixels(tmp.resolve("own-static")));
        assertThat(RunSettings.readFrom(tmp.resolve("ddim")).values()).containsEntry("--scheduler", "ddim");
        CliRun bad = CliRun.of(base("tiny-cogvideox-5b", "--scheduler", "euler").toArray(String[]::new));
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--scheduler must be ddim or dpm");
    }

    @Test
    void anImageOfAnotherAspectIsCroppedOrPaddedWithANote() throws IOException {
        Path png = tmp.resolve("wide.png");
        BufferedImage img = new BufferedImage(128, 64, BufferedImage.TYPE_INT_RGB);
        for (int x = 0; x < 128; x++) {
            for (int y = 0; y < 64; y++) {
                img.setRGB(x, y, x < 32 || x >= 96 ? 0xff0000 : 0x00ff00);
            }
        }
        ImageIO.write(img, "png", png.toFile());
        CliRun stretch = run(base("tiny-cogvideox-5b-i2v", "--image", png.toString(), "--output", tmp.resolve("stretch") + "/"));
        assertThat(stretch.err()).contains("note: the image is 128x64 (aspect 2.00), the video 64x64 (aspect 1.00): stretched");
        CliRun crop = run(base("tiny-cogvideox-5b-i2v", "--image", png.toString(), "--image-fit", "crop", "--output", tmp.resolve("crop") + "/"));
        assertThat(crop.err()).contains("cropped to its centre");
        CliRun pad = run(base("tiny-cogvideox-5b-i2v", "--image", png.toString(), "--image-fit", "pad", "--output", tmp.resolve("pad") + "/"));
        assertThat(pad.err()).contains("padded with black bars above and below");
        assertThat(pixels(tmp.resolve("pad"))).isNotEqualTo(pixels(tmp.resolve("crop")));
        assertThat(pixels(tmp.resolve("stretch"))).isNotEqualTo(pixels(tmp.resolve("crop")));
        assertThat(RunSettings.readFrom(tmp.resolve("pad")).values()).containsEntry("--image-fit", "pad");
    }
}
