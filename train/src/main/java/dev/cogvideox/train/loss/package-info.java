/** The CogVideoX training objective (v-prediction, x0-space loss weighted by 1/(1 - alpha_bar)) and its gradient. */
package dev.cogvideox.train.loss;
