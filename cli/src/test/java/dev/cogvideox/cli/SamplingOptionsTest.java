package dev.cogvideox.cli;

import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code generate --timesteps / --cache / --preset} on the fixtures' tiny models. */
class SamplingOptionsTest {
    private static final Path FIXTURES = GoldenSuite.defaultFixtureRoot();
    /** A LoRA written by the reference trainer, in the diffusers key layout the TDM-CogVideoX-2B LoRA also has. */
    private static final Path LORA = FIXTURES.resolve("golden/train_lora_checkpoint_2b/pytorch_lora_weights.safetensors");

    @TempDir
    Path tmp;

    private CliRun generate(String model, String out, String... extra) {
        List<String> args = new ArrayList<>(List.of("generate", "--model", FIXTURES.resolve("models/" + model).toString(), "--prompt", "a lighthouse",
                "--frames", "9", "--height", "64", "--width", "64", "--seed", "3", "--output", tmp.resolve(out) + "/"));
        args.addAll(List.of(extra));
        return CliRun.of(args.toArray(String[]::new));
    }

    /** A frame's pixels (the PNG also holds the run's settings, which differ between runs). */
    private int[] frame(String out) throws IOException {
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(tmp.resolve(out).resolve("frame_0004.png").toFile());
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    /**
     * The preset with a LoRA runs four passes at the TDM timesteps without guidance: the same video as the list and
     * guidance spelled out, and not the one of four evenly spaced steps (999, 749, 499, 249) the model card's
     * diffusers snippet gets.
     */
    @Test
    void theTdmPresetIsAFourStepLoraGenerationAtItsTimesteps() throws IOException {
        CliRun preset = generate("tiny-cogvideox-2b", "preset", "--preset", "tdm-cogvideox-2b", "--lora", LORA.toString());
        assertThat(preset.exit()).as(preset.err()).isZero();
        assertThat(preset.err()).contains("denoising: 4/4");
        CliRun spelled = generate("tiny-cogvideox-2b", "spelled", "--timesteps", "999,856,665,399", "--guidance", "1", "--lora", LORA.toString());
        assertThat(spelled.exit()).as(spelled.err()).isZero();
        CliRun uniform = generate("tiny-cogvideox-2b", "uniform", "--steps", "4", "--guidance", "1", "--lora", LORA.toString());
        assertThat(uniform.exit()).as(uniform.err()).isZero();
        CliRun noLora = generate("tiny-cogvideox-2b", "nolora", "--preset", "tdm-cogvideox-2b");
        assertThat(noLora.exit()).as(noLora.err()).isZero();
        assertThat(frame("preset")).isEqualTo(frame("spelled"));
        assertThat(frame("preset")).isNotEqualTo(frame("uniform"));
        assertThat(frame("preset")).isNotEqualTo(frame("nolora"));
        // the settings stored in the output rerun the same few-step generation
        CliRun rerun = CliRun.of("generate", "--from", tmp.resolve("preset") + "/", "--output", tmp.resolve("rerun") + "/");
        assertThat(rerun.exit()).as(rerun.err()).isZero();
        assertThat(rerun.err()).contains("denoising: 4/4", "--timesteps", "--guidance 1");
        assertThat(frame("rerun")).isEqualTo(frame("preset"));
    }

    @Test
    void sparseAttentionSaysHowItClassifiedTheHeads() {
        CliRun r = generate("tiny-cogvideox-5b", "sparse", "--steps", "4", "--attention", "sparse:0.5");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).containsPattern("attention sparse:0.5: \\d+ spatial and \\d+ temporal head passes after the first 50% of the steps");
    }

    @Test
    void theCacheReportSaysWhichStepsRan() {
        CliRun r = generate("tiny-cogvideox-2b", "tea", "--steps", "6", "--cache", "teacache:1");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("cache teacache:1 (the published CogVideoX-2b polynomial): transformer blocks computed at 2 of 6 steps (0, 5); "
                + "skipped, cached residual added, at 1-4");
    }

    @Test
    void badSettingsAreErrorsNamingTheOption() {
        String[][] bad = {
                {"--timesteps", "999,999,500"}, {"--timesteps 999,999,500", "strictly decreasing"},
                {"--timesteps", "1000,500"}, {"--timesteps", "outside [0, 1000)"},
                {"--timesteps", "999,x"}, {"--timesteps", "'x' is not an integer"},
                {"--timesteps", "999,500", "--steps", "5"}, {"--steps and --timesteps", "drop --steps"},
                {"--cache", "teacache:2"}, {"--cache 'teacache:2'", "threshold must be in [0, 1.0]"},
                {"--cache", "pab:0"}, {"--cache 'pab:0'", "skip range"},
                {"--cache", "magic"}, {"--cache 'magic'", "is not a cache setting"},
                {"--preset", "lcm"}, {"--preset lcm", "unknown preset"},
                {"--attention", "sparse:2"}, {"--attention 'sparse:2'", "must be in [0, 1]"},
                {"--attention", "radial"}, {"--attention 'radial'", "is not an attention setting"},
        };
        for (int i = 0; i < bad.length; i += 2) {
            CliRun r = generate("tiny-cogvideox-2b", "bad" + i, bad[i]);
            assertThat(r.exit()).as(String.join(" ", bad[i])).isNotZero();
            assertThat(r.err()).as(String.join(" ", bad[i])).contains(bad[i + 1]).doesNotContain("Exception", "\tat ");
        }
        CliRun wrongModel = generate("tiny-cogvideox-5b", "bad5b", "--preset", "tdm-cogvideox-2b");
        assertThat(wrongModel.exit()).isNotZero();
        assertThat(wrongModel.err()).contains("--preset tdm-cogvideox-2b is for CogVideoX-2b with its DDIM scheduler");
        CliRun wrongSampler = generate("tiny-cogvideox-2b", "bad2bdpm", "--preset", "tdm-cogvideox-2b", "--scheduler", "dpm");
        assertThat(wrongSampler.exit()).isNotZero();
        assertThat(wrongSampler.err()).contains("--preset tdm-cogvideox-2b is for CogVideoX-2b with its DDIM scheduler",
                "this is a 2b model with the CogVideoXDPMScheduler (--scheduler)").doesNotContain("Exception", "\tat ");
    }
}
