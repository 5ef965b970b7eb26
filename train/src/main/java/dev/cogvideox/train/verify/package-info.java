/** The golden-case verifier of component {@code train}, registered through {@code META-INF/services}. */
package dev.cogvideox.train.verify;
