package dev.cogvideox.bench.sampling;

import dev.cogvideox.model.sparse.SparseVideoAttention;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.Attention;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;

import java.util.Locale;

/**
 * One block's attention at a chosen size, dense against Sparse VideoGen's (profiling included), alternated: the
 * time of each, the speed-up, and how far the sparse output is from the dense one (relative L2 error, and the PSNR
 * of the output taking the dense output's peak-to-peak range as the peak). Inputs are random, so every head's
 * attention is diffuse and neither mask fits it: the error here is an upper bound of sorts, the speed is the figure.
 *
 * <pre>java ... SparseAttentionBench ROUNDS TEXT FRAMES PER_FRAME HEADS HEAD_DIM    (full-size 2b: 2 226 13 1350 30 64)</pre>
 */
public final class SparseAttentionBench {
    public static void main(String[] args) {
        int rounds = Integer.parseInt(args[0]), text = Integer.parseInt(args[1]), frames = Integer.parseInt(args[2]);
        int perFrame = Integer.parseInt(args[3]), heads = Integer.parseInt(args[4]), d = Integer.parseInt(args[5]);
        int l = text + frames * perFrame;
        TorchGenerator g = new TorchGenerator(1);
        Tensor q = g.randn(1, l, heads * d), k = g.randn(1, l, heads * d), v = g.randn(1, l, heads * d);
        float scale = (float) (1 / Math.sqrt(d));
        SparseVideoAttention svg = new SparseVideoAttention("sparse:0", 0, frames, perFrame);
        svg.beginStep(0, 500, 1);
        double dense = 0, sparse = 0, profile = 0;
        Tensor outDense = null, outSparse = null;
        Kernels.JAVA.attend(q, k, v, heads, scale, null, svg.attentionKeys(Kernels.JAVA, 0, q, k, v, heads, text));     // warm-up, not counted
        Kernels.JAVA.attend(q, k, v, heads, scale, null, null);
        svg = new SparseVideoAttention("sparse:0", 0, frames, perFrame);
        svg.beginStep(0, 500, 1);
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            outDense = Kernels.JAVA.attend(q, k, v, heads, scale, null, null);
            long t1 = System.nanoTime();
            Attention.KeySelection keys = svg.attentionKeys(Kernels.JAVA, 0, q, k, v, heads, text);
            long t2 = System.nanoTime();
            outSparse = Kernels.JAVA.attend(q, k, v, heads, scale, null, keys);
            long t3 = System.nanoTime();
            dense += (t1 - t0) / 1e9;
            profile += (t2 - t1) / 1e9;
            sparse += (t3 - t1) / 1e9;
            System.out.printf(Locale.ROOT, "round %d: dense %.2f s, sparse %.2f s (profiling %.2f s)%n", r, (t1 - t0) / 1e9, (t3 - t1) / 1e9, (t2 - t1) / 1e9);
        }
        double num = 0, den = 0, lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY, se = 0;
        for (int i = 0; i < outDense.numel(); i++) {
            double a = outDense.data()[i], b = outSparse.data()[i];
            num += (a - b) * (a - b);
            den += a * a;
            lo = Math.min(lo, a);
            hi = Math.max(hi, a);
            se += (a - b) * (a - b);
        }
        double psnr = 10 * Math.log10((hi - lo) * (hi - lo) / (se / outDense.numel()));
        long[] c = svg.headCounts();
        System.out.printf(Locale.ROOT, "%d tokens (%d text + %d x %d), %d heads x %d: dense %.2f s, sparse %.2f s (of which profiling %.2f s): "
                        + "%.2fx; %d spatial / %d temporal heads per round; relative L2 error %.3f, PSNR %.1f dB%n", l, text, frames, perFrame, heads, d,
                dense / rounds, sparse / rounds, profile / rounds, dense / sparse, c[0] / rounds, c[1] / rounds, Math.sqrt(num / den), psnr);
    }
}
