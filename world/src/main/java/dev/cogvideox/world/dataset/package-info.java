/** The world's training set on disk, in the layout {@code cogvideox train --data} reads ({@link dev.cogvideox.world.dataset.DatasetWriter}). */
package dev.cogvideox.world.dataset;
