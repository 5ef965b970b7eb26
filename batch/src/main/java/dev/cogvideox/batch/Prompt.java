package dev.cogvideox.batch;

import java.io.Serializable;

/**
 * One line of the prompts file as a task: its number (from 1), its output (relative to the batch's output folder),
 * its options (a JSON object, as text so that it travels as it was read) and the output's last-modified time when the
 * driver planned the job ({@code -1}: there was none), by which a retried task tells a file an earlier attempt of
 * the same job finished from one the job is to replace.
 */
record Prompt(int line, String output, String options, long outputModified) implements Serializable {
}
