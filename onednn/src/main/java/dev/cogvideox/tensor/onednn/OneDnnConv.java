package dev.cogvideox.tensor.onednn;

import dev.cogvideox.tensor.Conv3d;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;

import static dev.cogvideox.tensor.onednn.OneDnnLibrary.check;

/**
 * The 3D convolution of {@link Conv3d}'s contract on oneDNN's bf16 convolution: input and weights rounded to bf16,
 * sums and output in fp32. The input ({@code front ++ x} along time) goes to oneDNN channels-last in slabs of output
 * frames (bounded scratch whatever the video's length), the weights through a reorder into the layout oneDNN chose;
 * each slab's output is written into, or added to, the NCDHW output. In place, the slabs run from the last to the
 * first: a causal convolution's output frame t reads input frames up to t only, so a slab overwrites nothing a later
 * (earlier in time) slab still reads. Not thread-safe: {@link OneDnnKernels} serialises its calls.
 */
final class OneDnnConv {
    /** How a result reaches the output. */
    enum Mode { WRITE, ADD }

    /** Scratch for a slab's input and output: the slab is as many output frames as fit. */
    private static final long SLAB_BYTES = 96L << 20;
    private static final int CACHED = 32;

    private final OneDnnLibrary lib;
    private final long slabBytes;
    private final Arena arena = Arena.ofAuto();
    private final Map<Key, Prim> cache = new LinkedHashMap<>(16, 0.75f, true);
    private MemorySegment src = MemorySegment.NULL, dst = MemorySegment.NULL, weiPlain = MemorySegment.NULL, weiPacked = MemorySegment.NULL,
            biasBuf = MemorySegment.NULL;
    private final MemorySegment args = Arena.global().allocate(16L * 4, 8);

    OneDnnConv(OneDnnLibrary lib) {
        this(lib, SLAB_BYTES);
    }

    /** With slabs of at most {@code slabBytes} of scratch (at least one output frame): tests use 1, a frame a slab. */
    OneDnnConv(OneDnnLibrary lib, long slabBytes) {
        this.lib = lib;
        this.slabBytes = slabBytes;
    }

    /** The sizes of a call, or null where oneDNN's padding rules cannot express it (the caller uses the Java kernel). */
    record Dims(int n, int cin, int t, int h, int w, int tf, int cout, int kt, int kh, int kw, int tOut, int hOut, int wOut,
                int padBottom, int padRight) {
        static Dims of(Tensor x, Tensor front, Weight w, float[] bias, Conv3d.Geometry g) {
            if (x.rank() != 5 || (w.rank() != 5 && w.rank() != 4) || w.quantFormat() != null || w.dim(1) != x.dim(1)
                    || (bias != null && bias.length != w.dim(0)) || (w.rank() == 4 && front != null)) {
                return null;
            }
            int n = x.dim(0), cin = x.dim(1), t = x.dim(2), h = x.dim(3), wi = x.dim(4);
            int tf = front == null ? 0 : front.dim(2);
            if (front != null && (front.rank() != 5 || front.dim(0) != n || front.dim(1) != cin || front.dim(3) != h || front.dim(4) != wi)) {
                return null;
            }
            int cout = w.dim(0), kt = w.rank() == 5 ? w.dim(2) : 1, kh = w.dim(-2), kw = w.dim(-1);
            int tOut = (tf + t - kt) / g.strideT() + 1;
            int hOut = (h + g.padTop() + g.padBottom() - kh) / g.strideH() + 1;
            int wOut = (wi + g.padLeft() + g.padRight() - kw) / g.strideW() + 1;
            if (tf + t < kt || hOut < 1 || wOut < 1) {
                return null;
            }
            // the bottom/right padding the output actually reads (floor division may leave some of the given unused)
            int bottom = (hOut - 1) * g.strideH() + kh - h - g.padTop(), right = (wOut - 1) * g.strideW() + kw - wi - g.padLeft();
            if (bottom < 0 || right < 0) {
                return null;
            }
            return new Dims(n, cin, t, h, wi, tf, cout, kt, kh, kw, tOut, hOut, wOut, bottom, right);
        }

        long macs() {
            return (long) n * cout * tOut * hOut * wOut * cin * kt * kh * kw;
        }
    }

    /** {@code out (=|+=) conv(front ++ x)}; {@code out} may be {@code x} itself (in place: stride 1, same shape, kt - 1 leading frames). */
    void run(Tensor x, Tensor front, Weight w, float[] bias, Conv3d.Geometry g, Dims d, Tensor out, Mode mode) {
        boolean inPlace = out == x;
        long perFrame = (long) g.strideT() * d.cin() * d.h() * d.w() * 2 + (long) d.cout() * d.hOut() * d.wOut() * 4;
        int slab = (int) Math.clamp(slabBytes / perFrame, 1, d.tOut());
        int k = d.cin() * d.kt() * d.kh() * d.kw();
        weiPlain = ensure(weiPlain, (long) d.cout() * k * 2);
        OneDnnLibrary.weightToBf16(w, weiPlain, d.cout(), k);
        if (bias != null) {
            biasBuf = ensure(biasBuf, (long) d.cout() * 4);
            MemorySegment.copy(bias, 0, biasBuf, ValueLayout.JAVA_FLOAT, 0, d.cout());
        }
        float[] xd = x.data(), fd = front == null ? null : front.data(), od = out.data();
        int slabs = (d.tOut() + slab - 1) / slab;
        for (int b = 0; b < d.n(); b++) {
            for (int si = 0; si < slabs; si++) {
                int s = inPlace ? slabs - 1 - si : si;
                int o0 = s * slab, o1 = Math.min(d.tOut(), o0 + slab), frames = o1 - o0;
                int i0 = o0 * g.strideT(), tin = (frames - 1) * g.strideT() + d.kt();
                Prim p = prim(d, g, frames, tin, bias != null);
                src = ensure(src, (long) tin * d.cin() * d.h() * d.w() * 2);
                dst = ensure(dst, (long) frames * d.cout() * d.hOut() * d.wOut() * 4);
                gather(xd, fd, d, b, i0, tin, src);
                execute(p, bias != null);
                scatter(dst, d, b, o0, frames, od, mode);
            }
        }
    }

    private void execute(Prim p, boolean withBias) {
        try {
            set(p.weiPlainMem, weiPlain);
            set(p.weiPackedMem, weiPacked);
            arg(0, OneDnnLibrary.ARG_SRC, p.weiPlainMem);
            arg(1, OneDnnLibrary.ARG_DST, p.weiPackedMem);
            lib.ompSetNumThreads.invokeExact(Parallel.threads());
            check((int) lib.execute.invokeExact(p.reorder, lib.stream, 2, args), "weights reorder");
            set(p.srcMem, src);
            set(p.dstMem, dst);
            arg(0, OneDnnLibrary.ARG_SRC, p.srcMem);
            arg(1, OneDnnLibrary.ARG_WEIGHTS, p.weiPackedMem);
            arg(2, OneDnnLibrary.ARG_DST, p.dstMem);
            if (withBias) {
                set(p.biasMem, biasBuf);
                arg(3, OneDnnLibrary.ARG_BIAS, p.biasMem);
            }
            check((int) lib.execute.invokeExact(p.conv, lib.stream, withBias ? 4 : 3, args), "convolution");
            check((int) lib.streamWait.invokeExact(lib.stream), "dnnl_stream_wait");
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private void set(MemorySegment memory, MemorySegment handle) throws Throwable {
        check((int) lib.memorySetHandle.invokeExact(memory, handle), "dnnl_memory_set_data_handle");
    }

    private void arg(int i, int id, MemorySegment memory) {
        args.set(ValueLayout.JAVA_INT, 16L * i, id);
        args.set(ValueLayout.ADDRESS, 16L * i + 8, memory);
    }

    /** Input frames [i0, i0 + tin) of {@code front ++ x}, batch b, as bf16 channels-last {@code [tin, h, w, cin]}. */
    private static void gather(float[] xd, float[] fd, Dims d, int b, int i0, int tin, MemorySegment out) {
        int cin = d.cin(), h = d.h(), w = d.w(), plane = h * w;
        Parallel.forRange(tin * h, Math.max(1, 4096 / (w * cin) + 1), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int t = r / h, y = r % h, i = i0 + t;
                for (int c = 0; c < cin; c++) {
                    float[] from = i < d.tf() ? fd : xd;
                    long base = i < d.tf() ? ((long) (b * cin + c) * d.tf() + i) * plane : ((long) (b * cin + c) * d.t() + (i - d.tf())) * plane;
                    int o = (int) (base + (long) y * w);
                    long to = (long) r * w * cin + c;
                    for (int xx = 0; xx < w; xx++) {
                        out.setAtIndex(ValueLayout.JAVA_SHORT, to + (long) xx * cin, DType.toBf16(from[o + xx]));
                    }
                }
            }
        });
    }

    /** A slab's channels-last output {@code [frames, hOut, wOut, cout]} into output frames [o0, o0 + frames) of batch b. */
    private static void scatter(MemorySegment in, Dims d, int b, int o0, int frames, float[] od, Mode mode) {
        int cout = d.cout(), h = d.hOut(), w = d.wOut(), plane = h * w;
        Parallel.forRange(frames * h, Math.max(1, 4096 / (w * cout) + 1), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int t = r / h, y = r % h;
                long from = (long) r * w * cout;
                for (int c = 0; c < cout; c++) {
                    int o = (int) (((long) (b * cout + c) * d.tOut() + o0 + t) * plane + (long) y * w);
                    for (int xx = 0; xx < w; xx++) {
                        float v = in.getAtIndex(ValueLayout.JAVA_FLOAT, from + (long) xx * cout + c);
                        od[o + xx] = mode == Mode.ADD ? od[o + xx] + v : v;
                    }
                }
            }
        });
    }

    private MemorySegment ensure(MemorySegment buffer, long bytes) {
        return buffer.byteSize() >= bytes ? buffer : arena.allocate(Math.max(bytes, buffer.byteSize() * 3 / 2), 64);
    }

    private record Key(int cin, int cout, int tin, int h, int w, int kt, int kh, int kw, int sT, int sH, int sW, int top, int bottom,
                       int left, int right, int frames, boolean bias) {
    }

    private Prim prim(Dims d, Conv3d.Geometry g, int frames, int tin, boolean bias) {
        Key key = new Key(d.cin(), d.cout(), tin, d.h(), d.w(), d.kt(), d.kh(), d.kw(), g.strideT(), g.strideH(), g.strideW(), g.padTop(),
                d.padBottom(), g.padLeft(), d.padRight(), frames, bias);
        Prim p = cache.get(key);
        if (p == null) {
            p = new Prim(key);
            cache.put(key, p);
            if (cache.size() > CACHED) {
                var eldest = cache.entrySet().iterator();
                eldest.next().getValue().close();
                eldest.remove();
            }
        }
        weiPacked = ensure(weiPacked, p.packedBytes);
        return p;
    }

    /** A convolution primitive for one slab shape, with the reorder of the plain bf16 weights into its layout. */
    private final class Prim implements AutoCloseable {
        final MemorySegment convPd, conv, reorderPd, reorder, srcMem, dstMem, biasMem, weiPlainMem, weiPackedMem;
        final long packedBytes;

        Prim(Key k) {
            try (Arena local = Arena.ofConfined()) {
                MemorySegment out = local.allocate(ValueLayout.ADDRESS);
                MemorySegment srcMd = lib.memoryDesc(local, out, OneDnnLibrary.BF16, OneDnnLibrary.TAG_ACDEB, 1, k.cin(), k.tin(), k.h(), k.w());
                MemorySegment weiAny = lib.memoryDesc(local, out, OneDnnLibrary.BF16, OneDnnLibrary.TAG_ANY, k.cout(), k.cin(), k.kt(), k.kh(), k.kw());
                MemorySegment weiPlainMd = lib.memoryDesc(local, out, OneDnnLibrary.BF16, OneDnnLibrary.TAG_ABCDE, k.cout(), k.cin(), k.kt(), k.kh(), k.kw());
                int hOut = (k.h() + k.top() + k.bottom() - k.kh()) / k.sH() + 1, wOut = (k.w() + k.left() + k.right() - k.kw()) / k.sW() + 1;
                MemorySegment dstMd = lib.memoryDesc(local, out, OneDnnLibrary.F32, OneDnnLibrary.TAG_ACDEB, 1, k.cout(), k.frames(), hOut, wOut);
                MemorySegment biasMd = k.bias() ? lib.memoryDesc(local, out, OneDnnLibrary.F32, OneDnnLibrary.TAG_A, k.cout()) : MemorySegment.NULL;
                MemorySegment strides = OneDnnLibrary.longs(local, k.sT(), k.sH(), k.sW()), dilates = OneDnnLibrary.longs(local, 0, 0, 0);
                MemorySegment padL = OneDnnLibrary.longs(local, 0, k.top(), k.left()), padR = OneDnnLibrary.longs(local, 0, k.bottom(), k.right());
                check((int) lib.convolutionDesc.invokeExact(out, lib.engine, OneDnnLibrary.FORWARD_INFERENCE, OneDnnLibrary.CONVOLUTION_DIRECT,
                        srcMd, weiAny, biasMd, dstMd, strides, dilates, padL, padR, MemorySegment.NULL), "convolution descriptor " + k);
                convPd = out.get(ValueLayout.ADDRESS, 0);
                check((int) lib.primitiveCreate.invokeExact(out, convPd), "convolution primitive");
                conv = out.get(ValueLayout.ADDRESS, 0);
                MemorySegment packedMd = (MemorySegment) lib.queryMd.invokeExact(convPd, OneDnnLibrary.QUERY_EXEC_ARG_MD, OneDnnLibrary.ARG_WEIGHTS);
                packedBytes = (long) lib.memoryDescSize.invokeExact(packedMd);
                check((int) lib.reorderDesc.invokeExact(out, weiPlainMd, lib.engine, packedMd, lib.engine, MemorySegment.NULL), "weights reorder descriptor");
                reorderPd = out.get(ValueLayout.ADDRESS, 0);
                check((int) lib.primitiveCreate.invokeExact(out, reorderPd), "weights reorder");
                reorder = out.get(ValueLayout.ADDRESS, 0);
                srcMem = lib.memory(out, srcMd);
                dstMem = lib.memory(out, dstMd);
                weiPlainMem = lib.memory(out, weiPlainMd);
                weiPackedMem = lib.memory(out, packedMd);
                biasMem = k.bias() ? lib.memory(out, biasMd) : MemorySegment.NULL;
                lib.destroyDescs(srcMd, weiAny, weiPlainMd, dstMd, biasMd);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() {
            lib.destroy(new MemorySegment[] {srcMem, dstMem, biasMem, weiPlainMem, weiPackedMem}, conv, convPd, reorder, reorderPd);
        }
    }
}
