/**
 * The world's default model: its design ({@link dev.cogvideox.world.model.WorldModel#spec}) and the folder the
 * training recipe (scripts/train-default-model.sh) starts from and ends with.
 */
package dev.cogvideox.world.model;
