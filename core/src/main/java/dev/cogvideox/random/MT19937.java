package dev.cogvideox.random;

/**
 * The 32-bit Mersenne twister exactly as torch's {@code at::mt19937} (ATen/core/MT19937RNGEngine.h) runs it:
 * Knuth's seeding of the state from the low 32 bits of the seed, the state regenerated lazily on the first
 * draw, the standard tempering. Its output equals {@code std::mt19937} seeded with the same value.
 */
final class MT19937 {
    private static final int N = 624;
    private static final int M = 397;
    private static final int MATRIX_A = 0x9908b0df;
    private static final int UPPER_MASK = 0x80000000;
    private static final int LOWER_MASK = 0x7fffffff;

    private final int[] state = new int[N];
    private int left;
    private int next;

    /** Seeds from the low 32 bits of {@code seed}, as {@code init_with_uint32} does. */
    MT19937(long seed) {
        state[0] = (int) seed;
        for (int j = 1; j < N; j++) {
            int prev = state[j - 1];
            state[j] = 1812433253 * (prev ^ (prev >>> 30)) + j;
        }
        left = 1;
        next = 0;
    }

    /** The next 32 random bits (torch's {@code CPUGeneratorImpl::random}). */
    int nextInt() {
        if (--left == 0) {
            nextState();
        }
        int y = state[next++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y;
    }

    private void nextState() {
        left = N;
        next = 0;
        for (int j = 0; j < N; j++) {
            int mixed = (state[j] & UPPER_MASK) | (state[(j + 1) % N] & LOWER_MASK);
            state[j] = state[(j + M) % N] ^ (mixed >>> 1) ^ ((mixed & 1) != 0 ? MATRIX_A : 0);
        }
    }
}
