/**
 * Step caching for the denoising loop: {@link dev.cogvideox.model.cache.TeaCache} (whole-transformer skip) and
 * {@link dev.cogvideox.model.cache.PyramidAttentionBroadcast} (attention reuse), chosen by a
 * {@link dev.cogvideox.model.cache.CacheSetting}, each reporting which steps and blocks it computed.
 */
package dev.cogvideox.model.cache;
