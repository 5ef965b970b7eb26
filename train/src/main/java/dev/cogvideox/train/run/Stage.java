package dev.cogvideox.train.run;

import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.pipeline.GenerationDefaults;
import dev.cogvideox.train.data.ClipShape;

import java.util.ArrayList;
import java.util.List;

/**
 * One stage of a progressive-resolution run (paper: "Resolution Progressive Training"): clips fitted to {@code shape}
 * for {@code steps} optimizer steps. Written {@code WIDTHxHEIGHTxFRAMES:STEPS} on the command line, e.g.
 * {@code 256x256x9:2000,512x512x49:1000}.
 */
public record Stage(ClipShape shape, int steps) {
    public Stage {
        if (steps < 1) {
            throw new IllegalArgumentException("stage " + shape + ": needs at least one step, got " + steps);
        }
    }

    /** Parses a comma-separated list; errors name the option and the bad entry. */
    public static List<Stage> parseList(String spec, String option) {
        List<Stage> stages = new ArrayList<>();
        for (String part : spec.split(",")) {
            String s = part.strip();
            try {
                String[] shapeAndSteps = s.split(":");
                if (shapeAndSteps.length != 2) {
                    throw new IllegalArgumentException("expected WIDTHxHEIGHTxFRAMES:STEPS, e.g. 256x256x9:500");
                }
                stages.add(new Stage(ClipShape.parse(shapeAndSteps[0]), Integer.parseInt(shapeAndSteps[1])));
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
        return shape + ":" + steps;
    }
}
