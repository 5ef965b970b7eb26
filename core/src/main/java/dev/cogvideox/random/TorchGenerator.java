package dev.cogvideox.random;

import dev.cogvideox.tensor.Shapes;
import dev.cogvideox.tensor.Tensor;

/**
 * torch's CPU generator ({@code torch.Generator('cpu').manual_seed(seed)}) and
 * {@code torch.randn(shape, generator=g, dtype=torch.float32)}, reproduced bit for bit (torch 1.13 on an AVX2
 * CPU, the reference of the golden fixtures). Consecutive draws continue the same stream, so a seed chosen in
 * diffusers ({@code randn_tensor} with a CPU generator) gives the same latents and step noise here.
 *
 * <p>torch samples a float tensor by two different routes (ATen/native/cpu/DistributionTemplates.h,
 * {@code normal_kernel}):
 * <ul>
 *   <li>fewer than 16 elements: one element at a time, {@code normal_distribution<double>}: Box-Muller on two
 *       53-bit uniforms in double, {@code r cos(theta)} returned and {@code r sin(theta)} cached in the generator
 *       for the next element (the cache outlives the call and is cleared by {@link #manualSeed});</li>
 *   <li>16 or more: {@code normal_fill_AVX2}: every element first gets a 24-bit float uniform, then each block
 *       of 16 is transformed in place by float Box-Muller on the pairs (j, j + 8) with the avx_mathfun
 *       log/sincos ({@link AvxMathfun}); when the size is not a multiple of 16 the last 16 elements get fresh
 *       uniforms and are transformed again.</li>
 * </ul>
 * Not thread-safe: one generator serves one sequence of draws, as in torch.
 */
public final class TorchGenerator {
    private static final double TWO_POW_MINUS_53 = 0x1.0p-53;
    private static final float TWO_POW_MINUS_24 = 0x1.0p-24f;
    private static final long MASK_53 = (1L << 53) - 1;
    private static final int MASK_24 = (1 << 24) - 1;
    /** {@code _mm256_set1_ps(2.0f * c10::pi<double>)}: 2 pi in double, then rounded to float. */
    private static final float TWO_PI_F = (float) (2.0 * Math.PI);

    private MT19937 engine;
    private boolean hasCachedNormal;
    private double cachedNormal;

    /** A generator after {@code manual_seed(seed)}. */
    public TorchGenerator(long seed) {
        manualSeed(seed);
    }

    /** {@code manual_seed}: restarts the stream (only the low 32 bits reach mt19937) and clears the normal cache. */
    public void manualSeed(long seed) {
        this.engine = new MT19937(seed);
        this.hasCachedNormal = false;
    }

    /** {@code random()}: 32 random bits, as an unsigned value in a long. */
    public long random() {
        return engine.nextInt() & 0xffffffffL;
    }

    /** {@code random64()}: two 32-bit draws, the first one in the high half. */
    public long random64() {
        long hi = engine.nextInt() & 0xffffffffL;
        long lo = engine.nextInt() & 0xffffffffL;
        return (hi << 32) | lo;
    }

    /** {@code torch.randn(shape, generator=this, dtype=float32)}: a new contiguous tensor of standard normals. */
    public Tensor randn(int... shape) {
        long n = Shapes.numel(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("randn of shape " + Shapes.str(shape) + " exceeds one heap array");
        }
        float[] data = new float[(int) n];
        if (data.length >= 16) {
            normalFill(data);
        } else {
            for (int i = 0; i < data.length; i++) {
                data[i] = (float) nextNormalDouble();
            }
        }
        return Tensor.of(data, shape);
    }

    /** {@code uniform_real_distribution<float>(0, 1)}: 24 random bits scaled to [0, 1). */
    private float uniformFloat() {
        return (engine.nextInt() & MASK_24) * TWO_POW_MINUS_24;
    }

    /** {@code uniform_real_distribution<double>(0, 1)}: 53 random bits scaled to [0, 1). */
    private double uniformDouble() {
        return (random64() & MASK_53) * TWO_POW_MINUS_53;
    }

    /** {@code normal_distribution<double>(0, 1)} with the generator's cached second sample. */
    private double nextNormalDouble() {
        if (hasCachedNormal) {
            hasCachedNormal = false;
            return cachedNormal;
        }
        double u1 = uniformDouble();
        double u2 = uniformDouble();
        double r = Math.sqrt(-2.0 * StrictMath.log(1.0 - u2));
        double theta = 2.0 * Math.PI * u1;
        cachedNormal = r * StrictMath.sin(theta);
        hasCachedNormal = true;
        return r * StrictMath.cos(theta);
    }

    /** {@code normal_fill_AVX2} with mean 0 and std 1. */
    private void normalFill(float[] data) {
        int size = data.length;
        for (int i = 0; i < size; i++) {
            data[i] = uniformFloat();
        }
        float[] sincos = new float[2];
        for (int i = 0; i < size - 15; i += 16) {
            normalFill16(data, i, sincos);
        }
        if (size % 16 != 0) {
            int tail = size - 16;
            for (int i = 0; i < 16; i++) {
                data[tail + i] = uniformFloat();
            }
            normalFill16(data, tail, sincos);
        }
    }

    /** {@code normal_fill_16_AVX2}: Box-Muller on the uniforms (j, j + 8) of one block, in place. */
    private static void normalFill16(float[] data, int at, float[] sincos) {
        for (int j = 0; j < 8; j++) {
            float u1 = 1f - data[at + j]; // [0, 1) -> (0, 1] for the log
            float u2 = data[at + j + 8];
            float radius = (float) Math.sqrt(-2f * AvxMathfun.log(u1));
            AvxMathfun.sincos(TWO_PI_F * u2, sincos, 0, 1);
            data[at + j] = radius * sincos[1];
            data[at + j + 8] = radius * sincos[0];
        }
    }
}
