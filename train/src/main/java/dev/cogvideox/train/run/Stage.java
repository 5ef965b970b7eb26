package dev.cogvideox.train.run;

import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.pipeline.GenerationDefaults;
import dev.cogvideox.train.data.ClipShape;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One stage of a progressive-resolution run (paper: "Resolution Progressive Training"): clips fitted to {@code shape}
 * for {@code steps} optimizer steps, drawn from the whole dataset or from one of its selections (the paper raises its
 * score thresholds as training goes on). Written {@code WIDTHxHEIGHTxFRAMES:STEPS[@SELECTION]} on the command line,
 * e.g. {@code 256x256x9:2000,512x512x49:1000} or {@code 256x256x9:2000@low,512x512x49:1000@high} (the dataset's
 * {@code selections/low.jsonl} and {@code selections/high.jsonl}, which {@code data select} writes).
 *
 * @param selection the name of the dataset's selection the stage draws from, or null for the whole dataset
 */
public record Stage(ClipShape shape, int steps, String selection) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

    public Stage {
        if (steps < 1) {
            throw new IllegalArgumentException("stage " + shape + ": needs at least one step, got " + steps);
        }
        if (selection != null && !NAME.matcher(selection).matches()) {
            throw new IllegalArgumentException("selection '" + selection + "': a name of the dataset's selections/NAME.jsonl "
                    + "(letters, digits, '.', '_' and '-'), as `data select --name` gave it");
        }
    }

    /** A stage over the whole dataset. */
    public Stage(ClipShape shape, int steps) {
        this(shape, steps, null);
    }

    /** Parses a comma-separated list; errors name the option and the bad entry. */
    public static List<Stage> parseList(String spec, String option) {
        List<Stage> stages = new ArrayList<>();
        for (String part : spec.split(",")) {
            String s = part.strip();
            try {
                int at = s.indexOf('@');
                String[] shapeAndSteps = (at < 0 ? s : s.substring(0, at)).split(":");
                if (shapeAndSteps.length != 2) {
                    throw new IllegalArgumentException("expected WIDTHxHEIGHTxFRAMES:STEPS, e.g. 256x256x9:500");
                }
                stages.add(new Stage(ClipShape.parse(shapeAndSteps[0]), Integer.parseInt(shapeAndSteps[1]), at < 0 ? null : s.substring(at + 1)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(option + " " + spec + ": stage '" + s + "': " + e.getMessage(), e);
            }
        }
        return stages;
    }

    /** The model's default size and frames (those {@code generate} uses: {@link GenerationDefaults}) for {@code steps} steps. */
    public static Stage modelDefault(CogVideoXTransformerConfig cfg, int steps) {
        GenerationDefaults d = GenerationDefaults.of(cfg, null, null);
        return new Stage(new ClipShape(d.width(), d.height(), d.frames()), steps);
    }

    /** Checks that the transformer takes clips of this shape; the error names the option. */
    public void checkFits(CogVideoXTransformerConfig cfg, String option) {
        int unit = 8 * cfg.patchSize();
        if (shape.width() % unit != 0 || shape.height() % unit != 0) {
            throw new IllegalArgumentException(option + ": resolution " + shape.width() + "x" + shape.height() + " does not fit the "
                    + cfg.variant() + " model: width and height must be multiples of " + unit + " (VAE factor 8 x patch_size " + cfg.patchSize() + ")");
        }
        if (cfg.useLearnedPositionalEmbeddings() && (shape.width() != cfg.sampleWidth() * 8 || shape.height() != cfg.sampleHeight() * 8)) {
            throw new IllegalArgumentException(option + ": the " + cfg.variant() + " model has learned positional embeddings and only takes "
                    + cfg.sampleWidth() * 8 + "x" + cfg.sampleHeight() * 8 + ", not " + shape.width() + "x" + shape.height());
        }
    }

    /** Tokens of a clip of {@code latentFrames} latent frames: the text plus the video patches. */
    public static int tokens(CogVideoXTransformerConfig cfg, int latentFrames, int latentHeight, int latentWidth) {
        int p = cfg.patchSize(), pt = cfg.patchSizeT() == null ? 1 : cfg.patchSizeT();
        return cfg.maxTextSeqLength() + (latentFrames + pt - 1) / pt * (latentHeight / p) * (latentWidth / p);
    }

    /** Tokens of the largest clip of this stage. */
    public int maxTokens(CogVideoXTransformerConfig cfg) {
        return tokens(cfg, (shape.frames() - 1) / cfg.temporalCompressionRatio() + 1, shape.height() / 8, shape.width() / 8);
    }

    @Override
    public String toString() {
        return shape + ":" + steps + (selection == null ? "" : "@" + selection);
    }
}
