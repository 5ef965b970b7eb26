package dev.cogvideox.train;

import dev.cogvideox.model.vae.AutoencoderKLCogVideoX;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Tensor;

/**
 * The image-conditioning data path of {@code train_cogvideox_image_to_video_lora.py}: noise-augment the first frame
 * ({@code image + sigma * noise}, sigma per video), encode it with the VAE, sample the posterior, scale by the VAE's
 * {@code scaling_factor}, move frames before channels and pad with zero latent frames to the video's length.
 */
public final class ImageConditioning {
    private ImageConditioning() {
    }

    /** {@code image + noise * sigma[:, None, None, None, None]} for {@code image, noise [B, 3, 1, H, W]}, {@code sigma [B]}. */
    public static Tensor noisyImage(Tensor image, Tensor noise, float[] sigma) {
        image.requireShape("image noise", noise.shape());
        int b = image.dim(0), per = image.numel() / b;
        if (sigma.length != b) {
            throw new IllegalArgumentException(sigma.length + " noise sigmas for " + b + " images");
        }
        float[] x = image.data(), n = noise.data(), out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] + n[i] * sigma[i / per];
        }
        return Tensor.of(out, image.shape());
    }

    /**
     * @param noisyImage     {@code [B, 3, 1, H*8, W*8]}
     * @param posteriorNoise the posterior draw {@code [B, latent_channels, 1, H, W]}
     * @param frames         latent frames of the video
     * @return {@code [B, frames, latent_channels, H, W]}: the image latent in frame 0, zeros after
     */
    public static Tensor imageLatents(AutoencoderKLCogVideoX vae, Tensor noisyImage, Tensor posteriorNoise, int frames) {
        Tensor z = vae.scaleLatents(vae.encode(noisyImage).sample(posteriorNoise));           // [B, C, 1, H, W]
        Tensor first = Layout.permute(z, 0, 2, 1, 3, 4);                                       // [B, 1, C, H, W]
        int[] padding = first.shape();
        padding[1] = frames - 1;
        return Layout.cat(1, first, Tensor.zeros(padding));                                    // [B, F, C, H, W]
    }
}
