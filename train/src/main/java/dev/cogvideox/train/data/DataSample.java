package dev.cogvideox.train.data;

import java.nio.file.Path;

/**
 * One video (or image) and its caption.
 *
 * @param origin where the pair was declared, for messages ({@code videos.txt line 3})
 */
public record DataSample(Path video, String caption, String origin) {
}
