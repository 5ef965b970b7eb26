package dev.cogvideox.batch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cogvideox.progress.CancellationToken;

import java.io.Serializable;

/**
 * What a batch does with one line of the prompts file. It is serialized to every executor, so it holds only what it
 * needs to rebuild its state there (the model's folder, the batch's default options); anything loaded (a model) is
 * kept per JVM by the implementation.
 */
public interface PromptRunner extends Serializable {
    /**
     * Checks a line's options on the driver, before any job starts, as far as that can be done without the model.
     *
     * @throws IllegalArgumentException saying what is wrong, in the user's words
     */
    void check(ObjectNode options);

    /**
     * Generates the line on an executor and writes {@code output}, an absolute path (ending in {@code /} for a folder
     * of frames): whole (a temporary file or folder renamed into place) or not at all; {@code cancel} is cancelled
     * when Spark kills the task (the job was cancelled), and then the line stops at its next check.
     *
     * @return the settings the output was made with (a JSON object as text, every default filled in), or null
     */
    String run(ObjectNode options, String output, CancellationToken cancel);

    /** The settings stored in an output written earlier (a retried task finds its line's done), or null. */
    default String recorded(String output) {
        return null;
    }

    /** The reason of a failure in one line for the manifest: the error's message, never a stack trace. */
    String reason(Throwable failure);
}
