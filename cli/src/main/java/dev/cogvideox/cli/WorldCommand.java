package dev.cogvideox.cli;

import dev.cogvideox.io.AtomicFile;
import dev.cogvideox.io.video.MediaReader;
import dev.cogvideox.io.video.RgbImage;
import dev.cogvideox.io.video.VideoOutput;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.progress.ProgressBar;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.world.Combination;
import dev.cogvideox.world.HeldOut;
import dev.cogvideox.world.CombinationPattern;
import dev.cogvideox.world.dataset.DatasetSettings;
import dev.cogvideox.world.dataset.DatasetWriter;
import dev.cogvideox.world.detect.ClipDetection;
import dev.cogvideox.world.detect.ClipDetector;
import dev.cogvideox.world.eval.AttributeProbe;
import dev.cogvideox.world.prompt.PromptParser;
import dev.cogvideox.world.render.ClipRenderer;
import dev.cogvideox.world.render.ClipSampler;
import dev.cogvideox.world.render.ClipSpec;
import dev.cogvideox.world.model.WorldModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code cogvideox world}: the procedural world the default model learns (datasets, single clips, the detector). */
@Command(name = "world", description = "The procedural world of the default model: one shape moving on a plain background.",
        subcommands = {WorldCommand.Dataset.class, WorldCommand.Clip.class, WorldCommand.Detect.class, WorldCommand.Strip.class,
                WorldCommand.Model.class, WorldCommand.VaePsnr.class, WorldCommand.Probe.class})
final class WorldCommand implements Runnable {
    /** The clip size of the world's dataset: 17 frames (8N+1, as generate takes) of 96x96 at 8 fps. */
    static final int WIDTH = 96, HEIGHT = 96, FRAMES = 17;
    static final double FPS = 8;

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    @Command(name = "dataset", description = "Render a training set in the layout `train --data` reads (videos.txt, prompts.txt, videos/*.gif, "
            + "plus clips.jsonl with each clip's ground truth and world.json). The held-out combinations are never in it.")
    static final class Dataset implements Callable<Integer> {
        @Option(names = "--out", required = true, description = "A new (or empty) folder.")
        Path out;

        @Option(names = "--clips", required = true, description = "How many clips.")
        int clips;

        @Option(names = "--seed", defaultValue = "0", description = "Clip i depends on (seed, i) only (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--width", defaultValue = "" + WIDTH, description = "Default: ${DEFAULT-VALUE}.")
        int width;

        @Option(names = "--height", defaultValue = "" + HEIGHT, description = "Default: ${DEFAULT-VALUE}.")
        int height;

        @Option(names = "--frames", defaultValue = "" + FRAMES, split = ",", description = "Frame count(s), 4k+1; several (e.g. 9,17) "
                + "are drawn uniformly per clip (default: ${DEFAULT-VALUE}).")
        List<Integer> frames;

        @Option(names = "--fps", defaultValue = "" + FPS, description = "Default: ${DEFAULT-VALUE}.")
        double fps;

        @Option(names = "--held-out", description = "Render the held-out combinations instead (for measuring, e.g. VAE reconstruction; never for training).")
        boolean heldOut;

        @Option(names = "--only", description = "Only the combinations matching 'colour shape direction background', * for any value "
                + "(e.g. 'white circle * black': the first stage of a curriculum).")
        String only;

        @Option(names = "--canonical-captions", description = "Caption every clip with its canonical prompt (default: half of them reworded).")
        boolean canonical;

        @Override
        public Integer call() throws Exception {
            CombinationPattern pattern = only == null ? CombinationPattern.ANY : CombinationPattern.parse(only, "--only");
            DatasetSettings settings = new DatasetSettings(clips, seed, width, height, frames, fps, heldOut, pattern, canonical);
            long start = System.nanoTime();
            return Cancellable.run(10, cancel -> {
                Path written = DatasetWriter.write(out, settings, ProgressBar.forConsole(System.err), cancel);
                System.out.printf(Locale.ROOT, "wrote %d clips (%dx%d, frames %s, %s combinations) to %s in %.1f s; train with --data %s%n",
                        clips, width, height, frames, settings.combinations().size() + (heldOut ? " held-out" : " seen"),
                        written, (System.nanoTime() - start) / 1e9, written);
                return 0;
            });
        }
    }

    @Command(name = "clip", description = "Render one clip of a prompt (e.g. \"a red circle moving left on a black background\") to a GIF, MP4 or folder of PNGs.")
    static final class Clip implements Callable<Integer> {
        @Option(names = "--prompt", required = true)
        String prompt;

        @Option(names = {"-o", "--output"}, defaultValue = "clip.gif", description = "out.gif, out.mp4 or a folder/ for PNG frames (default: ${DEFAULT-VALUE}).")
        String output;

        @Option(names = "--seed", defaultValue = "0", description = "Picks size, start and speed (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--width", defaultValue = "" + WIDTH)
        int width;

        @Option(names = "--height", defaultValue = "" + HEIGHT)
        int height;

        @Option(names = "--frames", defaultValue = "" + FRAMES)
        int frames;

        @Option(names = "--fps", defaultValue = "" + FPS)
        double fps;

        @Override
        public Integer call() {
            Combination c = PromptParser.parse(prompt);
            VideoOutput out = VideoOutput.parse(output);
            VideoWriters.checkWritable(out);
            ClipSpec spec = ClipSampler.sample(c, width, height, frames, ClipSampler.stream(seed, 0));
            DatasetWriter.writeVideo(out, ClipRenderer.frames(spec), fps);
            System.out.printf(Locale.ROOT, "wrote %s (%dx%d, %d frames; %s, size %.1f px, %.2f px/frame%s) to %s%n", c.prompt(), width, height, frames,
                    c, spec.size(), spec.speed(), HeldOut.contains(c) ? ", a held-out combination" : "", out.path());
            return 0;
        }
    }

    @Command(name = "detect", description = "Run the world's detector on a video (MP4, GIF or folder of PNGs): background, colour, shape, direction, flicker.")
    static final class Detect implements Callable<Integer> {
        @Option(names = "--video", required = true)
        Path video;

        @Option(names = "--prompt", description = "Also say which attributes match this prompt.")
        String prompt;

        @Override
        public Integer call() {
            Combination want = prompt == null ? null : PromptParser.parse(prompt);
            Tensor frames = MediaReader.readVideo(video);
            ClipDetection d = ClipDetector.detect(frames);
            System.out.printf(Locale.ROOT, "%s: %d frames %dx%d, shape found in %d%n", video, d.frames(), frames.dim(3), frames.dim(2), d.framesFound());
            System.out.println("background: " + word(d.background()) + (want == null ? "" : check(d.background() == want.background())));
            System.out.println("colour:     " + word(d.colour()) + (want == null ? "" : check(d.colour() == want.colour())));
            System.out.println("shape:      " + word(d.shape()) + (want == null ? "" : check(d.shape() == want.shape())));
            System.out.printf(Locale.ROOT, "direction:  %s (displacement %+.1f, %+.1f px)%s%n", word(d.direction()), d.dx(), d.dy(),
                    want == null ? "" : check(d.direction() == want.direction()));
            System.out.printf(Locale.ROOT, "flicker:    background %.3f (8-bit levels per frame), area %.3f%n", d.backgroundFlicker(), d.areaFlicker());
            return 0;
        }

        private static String word(Enum<?> e) {
            return e == null ? "none" : e.name().toLowerCase(Locale.ROOT);
        }

        private static String check(boolean right) {
            return right ? "  (right)" : "  (wrong)";
        }
    }

    @Command(name = "strip", description = "A PNG of a video's frames side by side (every --every-th frame), to show a video where a GIF cannot play.")
    static final class Strip implements Callable<Integer> {
        @Option(names = "--video", required = true, description = "MP4, GIF or a folder of PNGs.")
        Path video;

        @Option(names = {"-o", "--output"}, required = true, description = "The PNG file.")
        Path output;

        @Option(names = "--every", defaultValue = "2", description = "Keep frames 0, N, 2N, ... and the last one (default: ${DEFAULT-VALUE}).")
        int every;

        @Option(names = "--gap", defaultValue = "2", description = "White pixels between frames (default: ${DEFAULT-VALUE}).")
        int gap;

        @Override
        public Integer call() throws Exception {
            if (every < 1 || gap < 0) {
                throw new IllegalArgumentException("--every must be at least 1 and --gap at least 0");
            }
            if (!output.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
                throw new IllegalArgumentException("--output " + output + ": the strip is a .png file");
            }
            Tensor frames = MediaReader.readVideo(video);
            int n = frames.dim(0), h = frames.dim(2), w = frames.dim(3);
            List<Integer> kept = new ArrayList<>();
            for (int f = 0; f < n; f += every) {
                kept.add(f);
            }
            if (kept.getLast() != n - 1) {
                kept.add(n - 1);
            }
            BufferedImage strip = new BufferedImage(kept.size() * (w + gap) - gap, h,
                    BufferedImage.TYPE_INT_RGB);
            Graphics2D g = strip.createGraphics();
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, strip.getWidth(), h);
            for (int i = 0; i < kept.size(); i++) {
                g.drawImage(RgbImage.fromTensor(frames, kept.get(i)).toBufferedImage(), i * (w + gap), 0, null);
            }
            g.dispose();
            AtomicFile.write(output, tmp -> ImageIO.write(strip, "png", tmp.toFile()));
            System.out.println("wrote frames " + kept + " of " + video + " to " + output);
            return 0;
        }
    }

    @Command(name = "model", description = "Write the world's default model folder (docs/default-model.md): random weights from --seed (the T5 "
            + "encoder stays so), or with a trained VAE and transformer copied in. Used by scripts/train-default-model.sh.")
    static final class Model implements Callable<Integer> {
        @Option(names = "--out", required = true, description = "The model folder to write (must not exist).")
        Path out;

        @Option(names = "--seed", defaultValue = "0", description = "Seed of the random weights (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--dtype", defaultValue = "fp32", description = "bf16 or fp32 (default: ${DEFAULT-VALUE}).")
        String dtype;

        @Option(names = "--vae", description = "A trained vae/ folder (train-vae's output) to copy in; its scaling factor is measured on "
                + "rendered clips unless --vae-scaling is given.")
        Path vae;

        @Option(names = "--vae-scaling", description = "The VAE's scaling_factor (default: measured with --vae, else 0.7).")
        Double vaeScaling;

        @Option(names = "--snr-shift", defaultValue = "1.0", description = "The scheduler's snr_shift_scale: every timestep's SNR divided by it "
                + "(below 1: more of the schedule where faint content is still visible) (default: ${DEFAULT-VALUE}).")
        double snrShift;

        @Option(names = "--transformer", description = "A trained transformer/ folder (train --full's output) to copy in.")
        Path transformer;

        @Option(names = "--positions", defaultValue = "rope", description = "The transformer's position code: rope (CogVideoX-5b's 3D "
                + "rotary embedding, relative) or sincos (CogVideoX-2b's 3D sin-cos table, absolute) (default: ${DEFAULT-VALUE}).")
        String positions;

        @Option(names = "--heads", defaultValue = "" + WorldModel.HEADS, description = "The transformer's attention heads of "
                + WorldModel.HEAD_DIM + " channels; its inner width is " + WorldModel.HEAD_DIM + " x heads (default: ${DEFAULT-VALUE}).")
        int heads;

        @Override
        public Integer call() {
            DType d = switch (dtype) {
                case "bf16" -> DType.BF16;
                case "fp32" -> DType.F32;
                default -> throw new IllegalArgumentException("--dtype must be bf16 or fp32, not " + dtype);
            };
            double scaling = vaeScaling != null ? vaeScaling : vae != null ? WorldModel.measureScaling(vae, 16, seed) : 0.7;
            WorldModel.Positions p = switch (positions) {
                case "rope" -> WorldModel.Positions.ROPE;
                case "sincos" -> WorldModel.Positions.SINCOS;
                default -> throw new IllegalArgumentException("--positions must be rope or sincos, not " + positions);
            };
            WorldModel.Design design = WorldModel.Design.DEFAULT.withSnrShift(snrShift).withPositions(p).withHeads(heads);
            WorldModel.write(out, seed, d, vae, scaling, transformer, design);
            System.out.printf(Locale.ROOT, "wrote %s (%s, vae scaling_factor %.6g%s%s)%n", out, dtype, scaling,
                    vae != null ? ", trained VAE " + vae : "", transformer != null ? ", trained transformer " + transformer : "");
            return 0;
        }
    }

    @Command(name = "vae-psnr", description = "A VAE's reconstruction PSNR on rendered clips of the held-out combinations (17 frames of 96x96).")
    static final class VaePsnr implements Callable<Integer> {
        @Option(names = "--vae", required = true, description = "A vae/ folder (of the default model's design or any 8x, 4x VAE).")
        Path vae;

        @Option(names = "--clips", defaultValue = "28", description = "Clips; clip i shows held-out combination i mod 28 (default: ${DEFAULT-VALUE}).")
        int clips;

        @Option(names = "--seed", defaultValue = "1", description = "Picks size, start and speed (default: ${DEFAULT-VALUE}).")
        long seed;

        @Override
        public Integer call() {
            if (clips < 1) {
                throw new IllegalArgumentException("--clips must be at least 1, got " + clips);
            }
            WorldModel.Reconstruction r = WorldModel.reconstruction(vae, clips, seed);
            System.out.printf(Locale.ROOT, "PSNR %.2f dB over %d held-out clips (seed %d) of %s%n", r.psnr(), clips, seed, vae);
            System.out.printf(Locale.ROOT, "detected in the reconstructions: colour %.1f%%, shape %.1f%%, direction %.1f%%, all three %.1f%%%n",
                    100 * r.colour(), 100 * r.shape(), 100 * r.direction(), 100 * r.allThree());
            System.out.printf(Locale.ROOT, "content share of the latents' spread: %.3f (the shapes' amplitude against unit noise after scaling)%n",
                    r.contentShare());
            return 0;
        }
    }

    @Command(name = "probe", description = "Which prompt words a world model reads, without sampling: the training loss on rendered held-out "
            + "clips with the true prompt against prompts with one word changed (colour, shape, direction), from the same noise.")
    static final class Probe implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "A world model folder (model_index.json, vae/, transformer/, ...).")
        Path model;

        @Option(names = "--clips", defaultValue = "28", description = "Clips; clip i shows held-out combination i mod 28 (default: ${DEFAULT-VALUE}).")
        int clips;

        @Option(names = "--seen", description = "Probe on seen combinations instead (clip i: every 9th of the seen list, cycled).")
        boolean seen;

        @Option(names = "--timesteps", split = ",", defaultValue = "100,300,500,700,900", description = "Training timesteps to noise to (default: ${DEFAULT-VALUE}).")
        int[] timesteps;

        @Option(names = "--seed", defaultValue = "1", description = "Picks the clips' paths and the noise (default: ${DEFAULT-VALUE}).")
        long seed;

        @Override
        public Integer call() {
            if (clips < 1) {
                throw new IllegalArgumentException("--clips must be at least 1, got " + clips);
            }
            int trainTimesteps = dev.cogvideox.model.schedule.CogVideoXScheduler.fromPretrained(model).alphasCumprod().length;
            for (int t : timesteps) {
                if (t < 0 || t >= trainTimesteps) {
                    throw new IllegalArgumentException("--timesteps: timestep " + t + " is outside [0, " + trainTimesteps
                            + ") (the model's num_train_timesteps)");
                }
            }
            List<AttributeProbe.AtTimestep> rows = AttributeProbe.run(model, seen ? everyNinthSeen() : HeldOut.combinations(), clips, timesteps, seed,
                    ProgressBar.forConsole(System.err));
            System.out.printf(Locale.ROOT, "%-9s %-10s", "timestep", "loss");
            for (String a : AttributeProbe.ATTRIBUTES) {
                System.out.printf(Locale.ROOT, " %-22s", a + " gap/preferred");
            }
            System.out.printf(Locale.ROOT, " %-22s%n", "frame order gap/pref.");
            for (AttributeProbe.AtTimestep r : rows) {
                System.out.printf(Locale.ROOT, "%-9d %-10.5f", r.timestep(), r.trueLoss());
                for (int a = 0; a < AttributeProbe.ATTRIBUTES.size(); a++) {
                    System.out.printf(Locale.ROOT, " %+7.2f%% / %5.1f%%      ", 100 * r.gap()[a], 100 * r.preferred()[a]);
                }
                System.out.printf(Locale.ROOT, " %+7.2f%% / %5.1f%%%n", 100 * r.orderGap(), 100 * r.orderPreferred());
            }
            System.out.println((seen ? "seen" : "held-out") + " combinations, " + clips + " clips");
            System.out.println("gap: mean relative loss increase with the word changed (frame order: with two latent frames swapped, so the shape "
                    + "jumps); preferred: clips whose loss is lower with the true prompt (frame order: in the true order)");
            return 0;
        }

        /** A spread of the seen combinations (every 9th, so colours, shapes and directions all turn up early). */
        private static List<Combination> everyNinthSeen() {
            List<Combination> pool = HeldOut.seen(), out = new ArrayList<>();
            for (int i = 0; i < pool.size(); i++) {
                out.add(pool.get(i * 9 % pool.size()));  // 9 is prime to 224: a permutation
            }
            return out;
        }
    }
}
