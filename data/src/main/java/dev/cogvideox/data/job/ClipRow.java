package dev.cogvideox.data.job;

import dev.cogvideox.data.features.ClipFeatures;

import java.io.Serializable;
import java.util.List;

/**
 * One row of the manifest: a clip of an input video (or the input itself, {@code clipIndex} -1, when it could not be
 * read), what became of it and why, every feature, the score and the captions.
 *
 * @param input        the input video as given (an absolute path)
 * @param clipIndex    the clip's number in its input, from 0; -1 for a row about the whole input
 * @param clip         the clip's file in the output folder ({@code clips/...mp4}) when it is kept, else null
 * @param status       {@link #KEPT} (in the dataset), {@link #REJECTED} (a rule's verdict) or {@link #FAILED} (the input
 *                     could not be read, or a scorer or captioner could not answer)
 * @param tags         the rules that rejected it
 * @param reasons      why: one sentence per tag, or the failure
 * @param startSeconds where the clip starts in its input
 * @param features     what the feature pass measured (null for an input that could not be read)
 * @param qualityScore the scorer's score, when one was asked
 * @param executor     the Spark executor that made it
 * @param featureSeconds the time its feature pass took on one core: decoding its frames and measuring them (not
 *                     encoding its file nor waiting for the servers); 0 for an input that could not be read
 */
public record ClipRow(String input, int clipIndex, String clip, String status, List<String> tags, List<String> reasons, double startSeconds,
                      ClipFeatures features, Double qualityScore, String shortCaption, List<String> frameCaptions, String caption,
                      String executor, double featureSeconds) implements Serializable {
    public static final String KEPT = "kept";
    public static final String REJECTED = "rejected";
    public static final String FAILED = "failed";

    public boolean kept() {
        return KEPT.equals(status);
    }
}
