/** The CogVideoX models, one class per reference class, named after it. */
package dev.cogvideox.model;
