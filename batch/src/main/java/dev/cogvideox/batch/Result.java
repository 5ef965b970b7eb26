package dev.cogvideox.batch;

import java.io.Serializable;

/**
 * What a task sends back to the driver for its line: done (with the settings it ran with, JSON text) or failed (with
 * the reason), how long it took, where it ran and which attempt of the task it was.
 */
record Result(int line, String output, boolean done, String reason, String settings, double seconds, String executor, String host,
              int attempt) implements Serializable {
}
