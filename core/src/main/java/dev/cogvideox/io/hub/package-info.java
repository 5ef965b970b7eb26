/**
 * Finding a model folder: a local path, or a Hugging Face hub id looked up in (and on request downloaded
 * into) the hub cache, with the same layout as {@code huggingface_hub} so both share one cache:
 * {@code models--org--name/refs/<revision>} holds a commit, {@code snapshots/<commit>/<file>} links to
 * {@code blobs/<etag>}. Entry point: {@link dev.cogvideox.io.hub.ModelResolver}.
 */
package dev.cogvideox.io.hub;
