package dev.cogvideox.bench;

import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Weight;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@link Weight#widen} of a native (mapped-like) bf16 and fp16 weight, 4 M elements in runs of 4096 (a packing
 * loop's grain), one thread: nanoseconds per element, 5 samples after a warm-up. Usage: {@code WidenBenchmark}.
 */
public final class WidenBenchmark {
    private WidenBenchmark() {
    }

    public static void main(String[] args) {
        int n = 1 << 22;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(2L * n, 64);
            for (long i = 0; i < n; i++) {
                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * i, (short) (0x3f80 + (i & 0x7f)));
            }
            float[] dst = new float[4096];
            for (DType dtype : new DType[]{DType.BF16, DType.F16}) {
                Weight w = new Weight("w", dtype, new int[]{n}, seg);
                for (int sample = -1; sample < 5; sample++) {
                    long t0 = System.nanoTime();
                    for (int rep = 0; rep < 4; rep++) {
                        for (int off = 0; off < n; off += dst.length) {
                            w.widen(off, dst, 0, dst.length);
                        }
                    }
                    if (sample >= 0) {
                        System.out.printf("%s %.3f ns per element%n", dtype, (System.nanoTime() - t0) / (4.0 * n));
                    }
                }
            }
        }
    }
}
