/**
 * Batch generation on Spark: the lines of a prompts file (one JSON object each) spread over a Spark cluster's
 * executors, one task per line, each output written atomically, every result or failure in a manifest that a rerun
 * reads to skip what is done. What one line becomes is a {@link dev.cogvideox.batch.PromptRunner}'s business (the
 * command line's {@code generate}); this package only plans, distributes and records.
 */
package dev.cogvideox.batch;
