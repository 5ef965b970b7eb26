package dev.cogvideox.random;

/**
 * One lane of the Cephes-style float approximations in torch's {@code ATen/native/cpu/avx_mathfun.h}
 * ({@code log256_ps}, {@code sincos256_ps}), which torch's AVX2 {@code normal_fill} uses instead of libm.
 *
 * <p>torch compiles that file with {@code -mfma} and GCC's default {@code -ffp-contract=fast}, so a multiply
 * whose only use is an add is fused into it; {@link Math#fma} reproduces each such contraction, and every
 * other operation rounds to float exactly like the vector instruction. The contracted pairs are listed
 * where they occur. Measured over 2^20 arguments in [0, 1), plain multiply-then-add changes the last bit of
 * the log for 0.1% of them and of sin or cos for 2%; with the contractions the golden draws match bit for bit.
 */
final class AvxMathfun {
    private static final float MIN_NORM_POS = Float.intBitsToFloat(0x00800000);
    private static final float SQRTHF = 0.707106781186547524f;
    private static final float[] LOG_P = {7.0376836292E-2f, -1.1514610310E-1f, 1.1676998740E-1f, -1.2420140846E-1f,
            1.4249322787E-1f, -1.6668057665E-1f, 2.0000714765E-1f, -2.4999993993E-1f, 3.3333331174E-1f};
    private static final float LOG_Q1 = -2.12194440e-4f;
    private static final float LOG_Q2 = 0.693359375f;

    private static final float FOPI = 1.27323954473516f;
    private static final float MINUS_DP1 = -0.78515625f;
    private static final float MINUS_DP2 = -2.4187564849853515625e-4f;
    private static final float MINUS_DP3 = -3.77489497744594108e-8f;
    private static final float SINCOF_P0 = -1.9515295891E-4f;
    private static final float SINCOF_P1 = 8.3321608736E-3f;
    private static final float SINCOF_P2 = -1.6666654611E-1f;
    private static final float COSCOF_P0 = 2.443315711809948E-005f;
    private static final float COSCOF_P1 = -1.388731625493765E-003f;
    private static final float COSCOF_P2 = 4.166664568298827E-002f;

    private AvxMathfun() {
    }

    /** {@code log256_ps} for one positive, finite argument (torch only calls it on {@code 1 - u}, u in [0, 1)). */
    static float log(float v) {
        float x = Math.max(v, MIN_NORM_POS);
        int bits = Float.floatToRawIntBits(x);
        // 1. split x = m * 2^e with m in [0.5, 1)
        float e = (float) ((bits >>> 23) - 0x7f) + 1f;
        x = Float.intBitsToFloat((bits & ~0x7f800000) | Float.floatToRawIntBits(0.5f));
        // 2. if m < sqrt(1/2): e -= 1, x = m + m - 1; else x = m - 1
        float tmp = x < SQRTHF ? x : 0f;
        if (x < SQRTHF) {
            e -= 1f;
        }
        x = (x - 1f) + tmp;
        // 3. polynomial in x: each y * x + p is one fused multiply-add
        float z = x * x;
        float y = LOG_P[0];
        for (int i = 1; i < LOG_P.length; i++) {
            y = Math.fma(y, x, LOG_P[i]);
        }
        y = y * x;
        // 4. y * z fuses into "+ e * q1"; z * 0.5 into the subtraction; e * q2 into the last addition
        y = Math.fma(y, z, e * LOG_Q1);
        y = Math.fma(-z, 0.5f, y);
        x = x + y;
        return Math.fma(e, LOG_Q2, x);
    }

    /** {@code sincos256_ps} for one argument: {@code out[sinAt] = sin(theta)}, {@code out[cosAt] = cos(theta)}. */
    static void sincos(float theta, float[] out, int sinAt, int cosAt) {
        int signSin = Float.floatToRawIntBits(theta) & 0x80000000;
        float x = Math.abs(theta);
        // 1. octant j = (trunc(x * 4/pi) + 1) & ~1
        int j = ((int) (x * FOPI) + 1) & ~1;
        float yq = (float) j;
        int swapSignSin = (j & 4) << 29;
        boolean cosPolyIsCos = (j & 2) == 0;
        int signCos = (~(j - 2) & 4) << 29;
        signSin ^= swapSignSin;
        // 2. extended-precision reduction x = ((x - yq*DP1) - yq*DP2) - yq*DP3, each step one fused multiply-add
        x = Math.fma(yq, MINUS_DP1, x);
        x = Math.fma(yq, MINUS_DP2, x);
        x = Math.fma(yq, MINUS_DP3, x);
        float z = x * x;
        // 3. cosine polynomial; its final "* z" fuses into "- z * 0.5"
        float yc = Math.fma(COSCOF_P0, z, COSCOF_P1);
        yc = Math.fma(yc, z, COSCOF_P2);
        yc = yc * z;
        yc = Math.fma(yc, z, -(z * 0.5f));
        yc = yc + 1f;
        // 4. sine polynomial; its final "* x" fuses into "+ x"
        float ys = Math.fma(SINCOF_P0, z, SINCOF_P1);
        ys = Math.fma(ys, z, SINCOF_P2);
        ys = ys * z;
        ys = Math.fma(ys, x, x);
        // 5. pick the polynomial per octant and apply the signs
        float sin = cosPolyIsCos ? ys : yc;
        float cos = cosPolyIsCos ? yc : ys;
        out[sinAt] = Float.intBitsToFloat(Float.floatToRawIntBits(sin) ^ signSin);
        out[cosAt] = Float.intBitsToFloat(Float.floatToRawIntBits(cos) ^ signCos);
    }
}
