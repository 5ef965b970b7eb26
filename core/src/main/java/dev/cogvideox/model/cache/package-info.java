/**
 * Step caching for the denoising loop: {@link dev.cogvideox.model.cache.TeaCache} (whole-transformer skip) and
 * {@link dev.cogvideox.model.cache.PyramidAttentionBroadcast} (attention reuse), chosen by a
 * {@link dev.cogvideox.model.cache.CacheSetting}, each reporting which steps and blocks it computed; TeaCache's
 * rescaling polynomial ({@link dev.cogvideox.model.cache.TeaCacheCoefficients}) published or fitted to a model by
 * {@link dev.cogvideox.model.cache.TeaCacheCalibration}.
 */
package dev.cogvideox.model.cache;
