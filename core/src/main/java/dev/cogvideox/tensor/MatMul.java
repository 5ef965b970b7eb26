package dev.cogvideox.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix products in the PyTorch {@code nn.Linear} convention: {@code y[M,N] = x[M,K] · W[N,K]^T + b[N]},
 * where W keeps its stored dtype and is widened to fp32 one column block at a time.
 */
public final class MatMul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Output columns per task: their widened weight rows stay in L2 while every row of x streams past. */
    private static final int N_BLOCK = 32;

    private MatMul() {
    }

    /** {@code x[..., K] -> y[..., N]} with {@code W[N, K]} and an optional bias {@code [N]}. */
    public static Tensor linear(Tensor x, Weight w, Weight bias) {
        int k = x.dim(-1);
        if (w.rank() != 2 || w.dim(1) != k) {
            throw new IllegalArgumentException("linear " + w.name() + ": input " + x + " has last dimension " + k
                    + " but weight has shape " + Shapes.str(w.shape()));
        }
        int n = w.dim(0);
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != n)) {
            throw new IllegalArgumentException("linear " + bias.name() + ": bias shape " + Shapes.str(bias.shape()) + " does not match " + n + " outputs");
        }
        int m = x.numel() / k;
        int[] outShape = x.shape();
        outShape[outShape.length - 1] = n;
        Tensor y = Tensor.zeros(outShape);
        float[] b = bias == null ? null : bias.toTensor().data();
        gemm(x.data(), 0, m, k, w, b, y.data(), 0);
        return y;
    }

    /**
     * {@code c[cOff + i*N + j] = sum_k a[aOff + i*K + k] * W[j, k] + bias[j]} for i < m, j < N (rows packed
     * densely, leading dimensions K and N). {@code bias} may be null.
     */
    public static void gemm(float[] a, int aOff, int m, int k, Weight w, float[] bias, float[] c, int cOff) {
        int n = w.dim(0);
        int blocks = (n + N_BLOCK - 1) / N_BLOCK;
        Parallel.forRange(blocks, 1, (from, to) -> {
            float[] panel = new float[N_BLOCK * k];
            for (int blk = from; blk < to; blk++) {
                int j0 = blk * N_BLOCK;
                int nb = Math.min(N_BLOCK, n - j0);
                w.widen((long) j0 * k, panel, 0, nb * k);
                for (int i = 0; i < m; i++) {
                    int ai = aOff + i * k;
                    int ci = cOff + i * n + j0;
                    int j = 0;
                    for (; j + 4 <= nb; j += 4) {
                        dot4(a, ai, panel, j * k, k, c, ci + j);
                    }
                    for (; j < nb; j++) {
                        c[ci + j] = dot(a, ai, panel, j * k, k);
                    }
                    if (bias != null) {
                        for (j = 0; j < nb; j++) {
                            c[ci + j] += bias[j0 + j];
                        }
                    }
                }
            }
        });
    }

    /** Four dot products of one row of a with four consecutive panel rows (four accumulators share each load of a). */
    private static void dot4(float[] a, int ai, float[] p, int pj, int k, float[] c, int ci) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int len = S.length();
        int kk = 0;
        int bound = S.loopBound(k);
        for (; kk < bound; kk += len) {
            FloatVector av = FloatVector.fromArray(S, a, ai + kk);
            s0 = av.fma(FloatVector.fromArray(S, p, pj + kk), s0);
            s1 = av.fma(FloatVector.fromArray(S, p, pj + k + kk), s1);
            s2 = av.fma(FloatVector.fromArray(S, p, pj + 2 * k + kk), s2);
            s3 = av.fma(FloatVector.fromArray(S, p, pj + 3 * k + kk), s3);
        }
        float r0 = sum(s0), r1 = sum(s1), r2 = sum(s2), r3 = sum(s3);
        for (; kk < k; kk++) {
            float av = a[ai + kk];
            r0 += av * p[pj + kk];
            r1 += av * p[pj + k + kk];
            r2 += av * p[pj + 2 * k + kk];
            r3 += av * p[pj + 3 * k + kk];
        }
        c[ci] = r0;
        c[ci + 1] = r1;
        c[ci + 2] = r2;
        c[ci + 3] = r3;
    }

    /**
     * Sum of the lanes in a fixed left-to-right order. {@code reduceLanes(ADD)} is not used on purpose: its order
     * differs between the interpreter and C2-compiled code, so results would change once a method is compiled.
     */
    private static float sum(FloatVector v) {
        float[] lanes = new float[S.length()];
        v.intoArray(lanes, 0);
        float r = 0f;
        for (float x : lanes) {
            r += x;
        }
        return r;
    }

    /** Dot product of {@code a[ai..ai+k)} and {@code b[bi..bi+k)}. */
    public static float dot(float[] a, int ai, float[] b, int bi, int k) {
        FloatVector s = FloatVector.zero(S);
        int kk = 0;
        int bound = S.loopBound(k);
        for (; kk < bound; kk += S.length()) {
            s = FloatVector.fromArray(S, a, ai + kk).fma(FloatVector.fromArray(S, b, bi + kk), s);
        }
        float r = sum(s);
        for (; kk < k; kk++) {
            r += a[ai + kk] * b[bi + kk];
        }
        return r;
    }
}
