package dev.cogvideox.model.transformer;

import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.TorchMath;

/**
 * The positional and timestep embedding functions of diffusers' {@code embeddings.py} that CogVideoX uses,
 * each with the reference's precision (see semantics.md, section Transformer, and the fixtures README,
 * "Float32 versus the reference arithmetic").
 */
public final class Embeddings {
    private Embeddings() {
    }

    /** The position grid of {@link #rotary3d}: 'linspace' (CogVideoX 1.0, crop region) or 'slice' (1.5, integer positions). */
    public enum GridType { LINSPACE, SLICE }

    /** A cos/sin table pair {@code [S, D]} for {@link dev.cogvideox.tensor.Rope}. */
    public record RotaryTable(Tensor cos, Tensor sin) {
    }

    /**
     * {@code get_timestep_embedding}: sinusoidal embedding {@code [N, dim]}, all in float32 (the timestep is
     * cast to float32): frequencies {@code exp(-ln(max_period) * i / (half - shift))} with torch's own float exp
     * ({@link TorchMath#expf}), order [sin | cos], or [cos | sin] with {@code flipSinToCos}.
     */
    public static Tensor timestepEmbedding(float[] timesteps, int dim, boolean flipSinToCos, float downscaleFreqShift) {
        int half = dim / 2;
        float[] freqs = new float[half];
        float negLogPeriod = (float) -Math.log(10000);
        for (int i = 0; i < half; i++) {
            float exponent = negLogPeriod * i / (half - downscaleFreqShift);
            freqs[i] = TorchMath.expf(exponent);
        }
        Tensor out = Tensor.zeros(timesteps.length, dim);
        float[] o = out.data();
        int sinAt = flipSinToCos ? half : 0, cosAt = flipSinToCos ? 0 : half;
        for (int n = 0; n < timesteps.length; n++) {
            for (int i = 0; i < half; i++) {
                float arg = timesteps[n] * freqs[i];
                o[n * dim + sinAt + i] = (float) Math.sin(arg);
                o[n * dim + cosAt + i] = (float) Math.cos(arg);
            }
        }
        return out;
    }

    /**
     * {@code get_3d_sincos_pos_embed(embed_dim, (width, height), frames, ...)} as {@code [T, H*W, D]}. Per token:
     * [time (D/4) | width coordinate (3D/8) | height coordinate (3D/8)], each [sin | cos]. Positions are float32
     * ({@code arange / scale}), frequencies and products float64, rounded to float32 at the end (semantics.md).
     */
    public static Tensor sincos3d(int embedDim, int width, int height, int frames, double spatialScale, double temporalScale) {
        if (embedDim % 16 != 0) {
            throw new IllegalArgumentException("3D sincos embedding needs embed_dim divisible by 16, got " + embedDim);
        }
        int dt = embedDim / 4, ds = 3 * embedDim / 4, dHalf = ds / 2;
        Tensor out = Tensor.zeros(frames, height * width, embedDim);
        float[] o = out.data();
        float[] row = new float[embedDim];
        for (int t = 0; t < frames; t++) {
            float tPos = (float) (t / (float) temporalScale);
            sincos1d(dt, tPos, row, 0);
            for (int h = 0; h < height; h++) {
                float hPos = (float) h / (float) spatialScale;
                for (int w = 0; w < width; w++) {
                    float wPos = (float) w / (float) spatialScale;
                    sincos1d(dHalf, wPos, row, dt);
                    sincos1d(dHalf, hPos, row, dt + dHalf);
                    System.arraycopy(row, 0, o, ((t * height + h) * width + w) * embedDim, embedDim);
                }
            }
        }
        return out;
    }

    /** {@code get_1d_sincos_pos_embed_from_grid} for one position: [sin(pos * w_i) | cos(pos * w_i)], w_i = 10000^(-i / (D/2)). */
    private static void sincos1d(int dim, float pos, float[] dst, int off) {
        int half = dim / 2;
        for (int i = 0; i < half; i++) {
            double omega = 1.0 / Math.pow(10000.0, i / (dim / 2.0));
            double arg = pos * omega;
            dst[off + i] = (float) Math.sin(arg);
            dst[off + half + i] = (float) Math.cos(arg);
        }
    }

    /**
     * {@code get_3d_rotary_pos_embed(embed_dim, crops_coords, (gridH, gridW), temporal, grid_type, max_size)}:
     * cos and sin {@code [T*H*W, D]} with the head dim split into t = D/4, h = 3D/8, w = 3D/8, each frequency
     * repeated twice; float32 throughout (semantics.md).
     *
     * @param crops {@code {{top, left}, {bottom, right}}} for LINSPACE, ignored for SLICE
     * @param maxH  for SLICE: the grid bound ({@code sample_height / patch_size}); the grid must fit in it
     */
    public static RotaryTable rotary3d(int embedDim, int[][] crops, int gridH, int gridW, int temporal, GridType type, int maxH, int maxW) {
        float[] posT, posH, posW;
        if (type == GridType.LINSPACE) {
            // Only the end point is scaled by (g-1)/g, so positions can even decrease (semantics.md).
            posH = linspace(crops[0][0], crops[1][0] * (gridH - 1) / (double) gridH, gridH);
            posW = linspace(crops[0][1], crops[1][1] * (gridW - 1) / (double) gridW, gridW);
            posT = linspace(0, temporal * (temporal - 1) / (double) temporal, temporal);
        } else {
            if (gridH > maxH || gridW > maxW) {
                throw new IllegalArgumentException("RoPE grid " + gridH + "x" + gridW + " does not fit the model's maximum "
                        + maxH + "x" + maxW + " (sample_height/width / patch_size); use a smaller resolution");
            }
            posH = arange(gridH);
            posW = arange(gridW);
            posT = arange(temporal);
        }
        int dimT = embedDim / 4, dimH = embedDim / 8 * 3, dimW = embedDim / 8 * 3;
        float[][] ft = angles(dimT, posT), fh = angles(dimH, posH), fw = angles(dimW, posW);
        int n = temporal * gridH * gridW;
        Tensor cos = Tensor.zeros(n, embedDim), sin = Tensor.zeros(n, embedDim);
        float[] c = cos.data(), s = sin.data();
        for (int t = 0; t < temporal; t++) {
            for (int h = 0; h < gridH; h++) {
                for (int w = 0; w < gridW; w++) {
                    int off = ((t * gridH + h) * gridW + w) * embedDim;
                    fill(ft[t], c, s, off);
                    fill(fh[h], c, s, off + dimT);
                    fill(fw[w], c, s, off + dimT + dimH);
                }
            }
        }
        return new RotaryTable(cos, sin);
    }

    /** The rotation angles {@code pos * 1/10000^(2i/dim)} of {@code get_1d_rotary_pos_embed}, float32. */
    private static float[][] angles(int dim, float[] pos) {
        float[] freqs = new float[dim / 2];
        for (int i = 0; i < freqs.length; i++) {
            float e = (float) (2 * i) / (float) dim;
            freqs[i] = 1f / (float) Math.pow(10000f, e);
        }
        float[][] out = new float[pos.length][freqs.length];
        for (int p = 0; p < pos.length; p++) {
            for (int i = 0; i < freqs.length; i++) {
                out[p][i] = pos[p] * freqs[i];
            }
        }
        return out;
    }

    private static void fill(float[] angles, float[] c, float[] s, int off) {
        for (int i = 0; i < angles.length; i++) {
            float cv = (float) Math.cos(angles[i]), sv = (float) Math.sin(angles[i]);
            c[off + 2 * i] = cv;
            c[off + 2 * i + 1] = cv;
            s[off + 2 * i] = sv;
            s[off + 2 * i + 1] = sv;
        }
    }

    /** {@code torch.linspace(start, end, steps, dtype=float32)} as ATen computes it: float32 step, two halves. */
    static float[] linspace(double start, double end, int steps) {
        float a = (float) start, b = (float) end;
        float[] r = new float[steps];
        if (steps == 1) {
            r[0] = a;
            return r;
        }
        float step = (b - a) / (steps - 1);
        int halfway = steps / 2;
        for (int i = 0; i < steps; i++) {
            r[i] = i < halfway ? a + step * i : b - step * (steps - i - 1);
        }
        return r;
    }

    private static float[] arange(int n) {
        float[] r = new float[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    /**
     * {@code get_resize_crop_region_for_grid((h, w), tgtWidth, tgtHeight)}: fit the grid into the base grid keeping
     * its aspect ratio, centred. Python's {@code round} rounds half to even, hence {@link Math#rint} (semantics.md).
     *
     * @return {@code {{top, left}, {bottom, right}}}
     */
    public static int[][] resizeCropRegionForGrid(int h, int w, int tgtWidth, int tgtHeight) {
        double r = h / (double) w;
        int resizeHeight, resizeWidth;
        if (r > tgtHeight / (double) tgtWidth) {
            resizeHeight = tgtHeight;
            resizeWidth = (int) Math.rint(tgtHeight / (double) h * w);
        } else {
            resizeWidth = tgtWidth;
            resizeHeight = (int) Math.rint(tgtWidth / (double) w * h);
        }
        int top = (int) Math.rint((tgtHeight - resizeHeight) / 2.0);
        int left = (int) Math.rint((tgtWidth - resizeWidth) / 2.0);
        return new int[][]{{top, left}, {top + resizeHeight, left + resizeWidth}};
    }
}
