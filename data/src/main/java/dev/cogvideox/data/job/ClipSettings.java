package dev.cogvideox.data.job;

import dev.cogvideox.data.caption.Captioner;
import dev.cogvideox.data.rules.Rules;

import java.io.Serializable;

/**
 * What a task needs to turn an input into clips: the output folder, the rules, the captioning servers (null: clips
 * get no caption) and how many frames of a clip they are shown.
 */
public record ClipSettings(String outputDir, Rules rules, Captioner.Settings captions, int captionFrames) implements Serializable {
    /** The folder of the kept clips, in the output folder. */
    public static final String CLIPS = "clips";
}
