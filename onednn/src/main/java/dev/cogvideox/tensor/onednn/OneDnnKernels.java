package dev.cogvideox.tensor.onednn;

import dev.cogvideox.tensor.Attention;
import dev.cogvideox.tensor.Conv3d;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.GroupNorm;
import dev.cogvideox.tensor.GroupNormBackward;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import static dev.cogvideox.tensor.onednn.OneDnnLibrary.check;

/**
 * The {@code --compute bf16} kernels: the {@code nn.Linear} products on oneDNN's bf16 matrix multiplication and the
 * 3D convolutions on its bf16 convolution (inputs and weights rounded to bf16, products summed in fp32, fp32 out: what
 * PyTorch's bf16 autocast does), which run on the CPU's AVX512-BF16 or AMX dot products at up to twice the fp32 FMA
 * rate. Everything else (attention, norms, the training products and convolution gradients) is the pure-Java fp32
 * provider's.
 *
 * <p>bf16 weights in a memory-mapped checkpoint are read in place; other float weights are rounded to bf16 at each
 * product (a pass over the weight, small beside the product's m passes). Quantized weights and products too small
 * to repay a native call take the Java kernels. Calls are serialised on the provider; oneDNN's OpenMP team runs each
 * product on {@link Parallel#threads()} threads.
 */
public final class OneDnnKernels implements Kernels {
    /** Below this many multiply-adds a product stays in Java: the call, the roundings and a new primitive cost more. */
    static final long MIN_MACS = 1L << 20;
    /** System property overriding {@link #MIN_MACS} (0: every product on oneDNN, as tests of the tiny models need). */
    public static final String MIN_MACS_PROPERTY = "cogvideox.onednn.minMacs";
    /** System property that turns the native kernels off ({@code true}): {@link #load} then reports them unavailable. */
    public static final String DISABLE_PROPERTY = "cogvideox.onednn.disable";
    private static final ValueLayout.OfShort BF16_LAYOUT = ValueLayout.JAVA_SHORT;
    private static final ValueLayout.OfFloat F32_LAYOUT = ValueLayout.JAVA_FLOAT;
    private static final int CACHED_SHAPES = 64;

    /** Why the bf16 kernels cannot run here: no bf16 instructions, no library for this platform, a failed load. */
    public static final class Unavailable extends RuntimeException {
        Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final OneDnnLibrary lib;
    private final long minMacs;
    private final Kernels java = Kernels.JAVA;
    private final Arena arena = Arena.ofAuto();
    /** One primitive per product shape, least recently used dropped first. */
    private final Map<Shape, Matmul> primitives = new LinkedHashMap<>(16, 0.75f, true);
    private MemorySegment src = MemorySegment.NULL, wei = MemorySegment.NULL, dst = MemorySegment.NULL, bias = MemorySegment.NULL;
    private final MemorySegment args;

    private final OneDnnConv conv;

    private OneDnnKernels(OneDnnLibrary lib, long minMacs) {
        this.lib = lib;
        this.minMacs = minMacs;
        this.conv = new OneDnnConv(lib);
        this.args = Arena.global().allocate(16L * 4, 8);     // four dnnl_exec_arg_t {int arg; dnnl_memory_t memory;}
    }

    /**
     * The bf16 kernels, when this CPU has bf16 dot products ({@link #cpuHasBf16}) and oneDNN loads; otherwise a
     * {@link Unavailable} whose message says why (the caller falls back to the Java kernels and says so).
     */
    public static OneDnnKernels load() {
        if (Boolean.getBoolean(DISABLE_PROPERTY)) {
            throw new Unavailable("turned off by -D" + DISABLE_PROPERTY + "=true", null);
        }
        if (!cpuHasBf16()) {
            throw new Unavailable("this CPU has no bf16 dot products (neither avx512_bf16 nor amx_bf16 in /proc/cpuinfo)", null);
        }
        return loadAnyCpu(Long.getLong(MIN_MACS_PROPERTY, MIN_MACS));
    }

    /** The bf16 kernels whatever the CPU (oneDNN then emulates the bf16 products in fp32: for tests, not for speed). */
    static OneDnnKernels loadAnyCpu() {
        return loadAnyCpu(MIN_MACS);
    }

    /** As {@link #loadAnyCpu()}, every product of at least {@code minMacs} multiply-adds on oneDNN (tests: 0, all of them). */
    static OneDnnKernels loadAnyCpu(long minMacs) {
        return new OneDnnKernels(OneDnnLibrary.get(), minMacs);
    }

    /** Whether this CPU has bf16 dot products (AVX512-BF16 or AMX-BF16 in /proc/cpuinfo): what {@link #load} requires. */
    public static boolean cpuHasBf16() {
        return cpuHasBf16(cpuFlags());
    }

    /** Whether the flags line of /proc/cpuinfo names AVX512-BF16 or AMX-BF16. */
    static boolean cpuHasBf16(String flags) {
        Set<String> words = Set.of(flags.split("\\s+"));
        return words.contains("avx512_bf16") || words.contains("amx_bf16");
    }

    private static String cpuFlags() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("flags")).findFirst().orElse("");
        } catch (IOException e) {
            return "";
        }
    }

    /** oneDNN's version, for the run's log. */
    public String version() {
        return lib.version;
    }

    @Override
    public void gemm(float[] a, int aOff, int m, int k, Weight w, float[] bias, float[] c, int cOff) {
        if (w.quantFormat() != null || w.rank() != 2 || w.dim(1) != k || (long) m * k * w.dim(0) < minMacs || m == 0) {
            java.gemm(a, aOff, m, k, w, bias, c, cOff);   // also reports a shape mismatch in the Java kernel's words
            return;
        }
        Objects.checkFromIndexSize(aOff, (long) m * k > Integer.MAX_VALUE ? -1 : m * k, a.length);
        Objects.checkFromIndexSize(cOff, (long) m * w.dim(0) > Integer.MAX_VALUE ? -1 : m * w.dim(0), c.length);
        product(a, aOff, m, k, w, bias, c, cOff);
    }

    private synchronized void product(float[] a, int aOff, int m, int k, Weight w, float[] b, float[] c, int cOff) {
        int n = w.dim(0);
        Matmul mm = primitives.get(new Shape(m, k, n, b != null));
        if (mm == null) {
            mm = new Matmul(m, k, n, b != null);
            primitives.put(new Shape(m, k, n, b != null), mm);
            if (primitives.size() > CACHED_SHAPES) {
                var eldest = primitives.entrySet().iterator();
                eldest.next().getValue().close();
                eldest.remove();
            }
        }
        src = ensure(src, (long) m * k * 2);
        toBf16(a, aOff, src, m, k);
        MemorySegment weights;
        if (w.dtype() == DType.BF16 && w.segment().isNative()) {
            weights = w.segment();                       // the checkpoint's bf16 bytes, [N, K] row-major: oneDNN's "ba" of [K, N]
        } else {
            wei = ensure(wei, (long) n * k * 2);
            OneDnnLibrary.weightToBf16(w, wei, n, k);
            weights = wei;
        }
        dst = ensure(dst, (long) m * n * 4);
        try {
            check((int) lib.memorySetHandle.invokeExact(mm.src, src), "dnnl_memory_set_data_handle(src)");
            check((int) lib.memorySetHandle.invokeExact(mm.wei, weights), "dnnl_memory_set_data_handle(weights)");
            check((int) lib.memorySetHandle.invokeExact(mm.dst, dst), "dnnl_memory_set_data_handle(dst)");
            int nargs = 3;
            setArg(0, OneDnnLibrary.ARG_SRC, mm.src);
            setArg(1, OneDnnLibrary.ARG_WEIGHTS, mm.wei);
            setArg(2, OneDnnLibrary.ARG_DST, mm.dst);
            if (b != null) {
                bias = ensure(bias, (long) n * 4);
                MemorySegment.copy(b, 0, bias, F32_LAYOUT, 0, n);
                check((int) lib.memorySetHandle.invokeExact(mm.bias, bias), "dnnl_memory_set_data_handle(bias)");
                setArg(3, OneDnnLibrary.ARG_BIAS, mm.bias);
                nargs = 4;
            }
            lib.ompSetNumThreads.invokeExact(Parallel.threads());
            check((int) lib.execute.invokeExact(mm.prim, lib.stream, nargs, args), "matmul " + m + "x" + k + " by " + w.name() + " " + n + "x" + k);
            check((int) lib.streamWait.invokeExact(lib.stream), "dnnl_stream_wait");
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
        MemorySegment.copy(dst, F32_LAYOUT, 0, c, cOff, m * n);
    }

    private void setArg(int i, int arg, MemorySegment memory) {
        args.set(ValueLayout.JAVA_INT, 16L * i, arg);
        args.set(ValueLayout.ADDRESS, 16L * i + 8, memory);
    }

    private MemorySegment ensure(MemorySegment buffer, long bytes) {
        return buffer.byteSize() >= bytes ? buffer : arena.allocate(Math.max(bytes, buffer.byteSize() * 3 / 2), 64);
    }

    /** The m rows of a (row stride k) rounded to bf16 into out, on the kernel threads. */
    private static void toBf16(float[] a, int aOff, MemorySegment out, int m, int k) {
        Parallel.forRange(m, Math.max(1, (1 << 16) / k), (r0, r1) -> {
            for (long i = (long) r0 * k, end = (long) r1 * k; i < end; i++) {
                out.setAtIndex(BF16_LAYOUT, i, DType.toBf16(a[aOff + (int) i]));
            }
        });
    }

    private record Shape(int m, int k, int n, boolean bias) {
    }

    /** A matmul primitive for one shape, with its memory objects (their data handles set at each call). */
    private final class Matmul implements AutoCloseable {
        final MemorySegment pd, prim, src, wei, dst, bias;

        Matmul(int m, int k, int n, boolean withBias) {
            try (Arena local = Arena.ofConfined()) {
                MemorySegment out = local.allocate(ValueLayout.ADDRESS);
                MemorySegment srcMd = lib.memoryDesc(local, out, OneDnnLibrary.BF16, OneDnnLibrary.TAG_AB, m, k);
                MemorySegment weiMd = lib.memoryDesc(local, out, OneDnnLibrary.BF16, OneDnnLibrary.TAG_BA, k, n);
                MemorySegment dstMd = lib.memoryDesc(local, out, OneDnnLibrary.F32, OneDnnLibrary.TAG_AB, m, n);
                MemorySegment biasMd = withBias ? lib.memoryDesc(local, out, OneDnnLibrary.F32, OneDnnLibrary.TAG_AB, 1, n) : MemorySegment.NULL;
                check((int) lib.matmulDesc.invokeExact(out, lib.engine, srcMd, weiMd, biasMd, dstMd, MemorySegment.NULL),
                        "matmul descriptor " + m + "x" + k + " by " + k + "x" + n + " (bf16)");
                pd = out.get(ValueLayout.ADDRESS, 0);
                check((int) lib.primitiveCreate.invokeExact(out, pd), "matmul primitive");
                prim = out.get(ValueLayout.ADDRESS, 0);
                src = lib.memory(out, srcMd);
                wei = lib.memory(out, weiMd);
                dst = lib.memory(out, dstMd);
                bias = withBias ? lib.memory(out, biasMd) : MemorySegment.NULL;
                lib.destroyDescs(srcMd, weiMd, dstMd, biasMd);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() {
            lib.destroy(new MemorySegment[] {src, wei, dst, bias}, prim, pd);
        }
    }

    // the rest: the Java kernels

    @Override
    public void product(float[] a, boolean aTransposed, float[] b, boolean bTransposed, int m, int n, int k, float[] c) {
        java.product(a, aTransposed, b, bTransposed, m, n, k, c);
    }

    @Override
    public Tensor attend(Tensor q, Tensor k, Tensor v, int heads, float scale, Tensor bias, Attention.KeySelection keys) {
        return java.attend(q, k, v, heads, scale, bias, keys);
    }

    @Override
    public Tensor conv3d(Tensor x, Tensor front, Weight w, float[] bias, Conv3d.Geometry g) {
        OneDnnConv.Dims d = OneDnnConv.Dims.of(x, front, w, bias, g);
        if (d == null || d.macs() < minMacs) {
            return java.conv3d(x, front, w, bias, g);
        }
        Tensor out = Tensor.zeros(d.n(), d.cout(), d.tOut(), d.hOut(), d.wOut());
        synchronized (this) {
            conv.run(x, front, w, bias, g, d, out, OneDnnConv.Mode.WRITE);
        }
        return out;
    }

    @Override
    public void conv3dAccumulate(Tensor x, Tensor front, Weight w, float[] bias, Conv3d.Geometry g, Tensor out) {
        OneDnnConv.Dims d = OneDnnConv.Dims.of(x, front, w, bias, g);
        if (d == null || d.macs() < minMacs || out == x || out.rank() != 5 || out.dim(0) != d.n() || out.dim(1) != d.cout()
                || out.dim(2) != d.tOut() || out.dim(3) != d.hOut() || out.dim(4) != d.wOut()) {
            java.conv3dAccumulate(x, front, w, bias, g, out);   // also the Java kernel's message for a mismatched output
            return;
        }
        synchronized (this) {
            conv.run(x, front, w, bias, g, d, out, OneDnnConv.Mode.ADD);
        }
    }

    @Override
    public Tensor conv3dInPlace(Tensor x, Tensor front, Weight w, float[] bias, Conv3d.Geometry g) {
        OneDnnConv.Dims d = OneDnnConv.Dims.of(x, front, w, bias, g);
        if (d == null || d.macs() < minMacs || g.strideT() != 1 || g.strideH() != 1 || g.strideW() != 1 || d.cout() != d.cin()
                || d.tOut() != d.t() || d.hOut() != d.h() || d.wOut() != d.w() || d.tf() != d.kt() - 1) {
            return java.conv3dInPlace(x, front, w, bias, g);
        }
        synchronized (this) {
            conv.run(x, front, w, bias, g, d, x, OneDnnConv.Mode.WRITE);
        }
        return x;
    }

    @Override
    public Tensor conv3dInputGrad(Tensor g, Weight w, Conv3d.Geometry geo, int frames, int h, int width) {
        return java.conv3dInputGrad(g, w, geo, frames, h, width);
    }

    @Override
    public Tensor conv3dWeightGrad(Tensor x, Tensor front, Tensor g, int[] weightShape, Conv3d.Geometry geo) {
        return java.conv3dWeightGrad(x, front, g, weightShape, geo);
    }

    @Override
    public Tensor conv3dBiasGrad(Tensor g) {
        return java.conv3dBiasGrad(g);
    }

    @Override
    public void groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, float eps, GroupNorm.Modulation mod, boolean silu, Tensor out) {
        java.groupNorm(x, groups, weight, bias, eps, mod, silu, out);
    }

    @Override
    public GroupNormBackward.Grads groupNormBackward(Tensor x, int groups, Tensor weight, Tensor bias, float eps, GroupNorm.Modulation mod,
                                                     boolean silu, Tensor g) {
        return java.groupNormBackward(x, groups, weight, bias, eps, mod, silu, g);
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor w, Tensor b, float eps) {
        return java.layerNorm(x, w, b, eps);
    }

    @Override
    public Tensor rmsNorm(Tensor x, Tensor w, float eps) {
        return java.rmsNorm(x, w, eps);
    }
}
