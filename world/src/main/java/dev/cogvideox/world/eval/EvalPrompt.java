package dev.cogvideox.world.eval;

import dev.cogvideox.world.Combination;
import dev.cogvideox.world.HeldOut;
import dev.cogvideox.world.prompt.PromptParser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A prompt to evaluate, the combination it asks for, and whether that combination is held out of training.
 */
public record EvalPrompt(String prompt, Combination expected, boolean heldOut) {
    /** A prompt of the world (any wording {@link PromptParser} reads). */
    public static EvalPrompt of(String prompt) {
        Combination c = PromptParser.parse(prompt);
        return new EvalPrompt(prompt.strip(), c, HeldOut.contains(c));
    }

    /**
     * The default set: the canonical prompt of every held-out combination, then of {@code seen} combinations drawn
     * without replacement from the seen ones by a fixed stream ({@code sampleSeed}), so every run measures the same.
     */
    public static List<EvalPrompt> defaults(int seen, long sampleSeed) {
        List<Combination> pool = HeldOut.seen();
        if (seen < 0 || seen > pool.size()) {
            throw new IllegalArgumentException("--seen must be between 0 and " + pool.size() + ", got " + seen);
        }
        List<EvalPrompt> out = new ArrayList<>();
        for (Combination c : HeldOut.combinations()) {
            out.add(new EvalPrompt(c.prompt(), c, true));
        }
        List<Combination> rest = new ArrayList<>(pool);
        SplittableRandom random = new SplittableRandom(sampleSeed);
        for (int i = 0; i < seen; i++) {
            int j = i + random.nextInt(rest.size() - i);
            Combination c = rest.get(j);
            rest.set(j, rest.get(i));
            rest.set(i, c);
            out.add(new EvalPrompt(c.prompt(), c, false));
        }
        return out;
    }

    /** One prompt per non-blank line ({@code #} starts a comment line); errors name the file and line. */
    public static List<EvalPrompt> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("--prompts " + file + ": cannot read: " + e.getMessage(), e);
        }
        List<EvalPrompt> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                out.add(of(line));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--prompts " + file + " line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("--prompts " + file + ": no prompt in it (one per line)");
        }
        return out;
    }
}
