/** Sparse attention for the video transformer: {@link dev.cogvideox.model.sparse.SparseVideoAttention} (Sparse VideoGen's head classification). */
package dev.cogvideox.model.sparse;
