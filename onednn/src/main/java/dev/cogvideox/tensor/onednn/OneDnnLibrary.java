package dev.cogvideox.tensor.onednn;

import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.Weight;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * oneDNN's C API ({@code dnnl.h}, v3) through {@code java.lang.foreign}: the shared libraries unpacked from the
 * JavaCPP presets' jars on the class path into a cache folder (once; a copy is complete when it is renamed into
 * place), loaded in dependency order, and the handful of functions the matrix product needs. Every call's status
 * is checked ({@link #check}); a library that cannot be found or loaded is a {@link OneDnnKernels.Unavailable} naming why.
 */
final class OneDnnLibrary {
    /** The oneDNN release of the jars (pom.xml's dnnl.version), also the cache folder's name. */
    static final String VERSION = "3.8.1";
    /** Resources in load order: each library's dependencies first (libdnnl's RUNPATH is $ORIGIN: one folder for all). */
    private static final List<String> RESOURCES = List.of(
            "org/bytedeco/opencl/linux-x86_64/libOpenCL.so.1",
            "org/bytedeco/dnnl/linux-x86_64/libgomp.so.1",
            "org/bytedeco/dnnl/linux-x86_64/libdnnl.so.3");

    // dnnl_types.h
    static final int CPU = 1, STREAM_DEFAULT = 1;
    static final int BF16 = 2, F32 = 3;
    static final int TAG_ANY = 1, TAG_A = 2, TAG_AB = 3, TAG_ABCDE = 6, TAG_BA = 14, TAG_ACDEB = 33;
    static final int FORWARD_INFERENCE = 96, CONVOLUTION_DIRECT = 1, QUERY_EXEC_ARG_MD = 255;
    static final int ARG_SRC = 1, ARG_DST = 17, ARG_WEIGHTS = 33, ARG_BIAS = 41;

    private static OneDnnLibrary instance;

    final MethodHandle engineCreate, streamCreate, streamWait, memoryDescCreate, memoryDescDestroy, matmulDesc, primitiveDescDestroy,
            primitiveCreate, primitiveDestroy, memoryCreate, memorySetHandle, memoryDestroy, execute, ompSetNumThreads, convolutionDesc,
            reorderDesc, queryMd, memoryDescSize;
    final MemorySegment engine, stream;
    final String version;

    private OneDnnLibrary(SymbolLookup dnnl, SymbolLookup gomp) throws Throwable {
        engineCreate = handle(dnnl, "dnnl_engine_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
        streamCreate = handle(dnnl, "dnnl_stream_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        streamWait = handle(dnnl, "dnnl_stream_wait", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        memoryDescCreate = handle(dnnl, "dnnl_memory_desc_create_with_tag", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        memoryDescDestroy = handle(dnnl, "dnnl_memory_desc_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        matmulDesc = handle(dnnl, "dnnl_matmul_primitive_desc_create",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        primitiveDescDestroy = handle(dnnl, "dnnl_primitive_desc_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        primitiveCreate = handle(dnnl, "dnnl_primitive_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        primitiveDestroy = handle(dnnl, "dnnl_primitive_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        memoryCreate = handle(dnnl, "dnnl_memory_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        memorySetHandle = handle(dnnl, "dnnl_memory_set_data_handle", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        memoryDestroy = handle(dnnl, "dnnl_memory_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        execute = handle(dnnl, "dnnl_primitive_execute", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
        ompSetNumThreads = handle(gomp, "omp_set_num_threads", FunctionDescriptor.ofVoid(JAVA_INT));
        convolutionDesc = handle(dnnl, "dnnl_convolution_forward_primitive_desc_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS,
                JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        reorderDesc = handle(dnnl, "dnnl_reorder_primitive_desc_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        queryMd = handle(dnnl, "dnnl_primitive_desc_query_md", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, JAVA_INT));
        memoryDescSize = handle(dnnl, "dnnl_memory_desc_get_size", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        MethodHandle versionOf = handle(dnnl, "dnnl_version", FunctionDescriptor.of(ADDRESS));

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check((int) engineCreate.invokeExact(out, CPU, 0L), "dnnl_engine_create(cpu)");
            engine = out.get(ADDRESS, 0);
            check((int) streamCreate.invokeExact(out, engine, STREAM_DEFAULT), "dnnl_stream_create");
            stream = out.get(ADDRESS, 0);
        }
        MemorySegment v = ((MemorySegment) versionOf.invokeExact()).reinterpret(12);
        version = v.get(JAVA_INT, 0) + "." + v.get(JAVA_INT, 4) + "." + v.get(JAVA_INT, 8);
    }

    /** The library, loaded on first use; {@link OneDnnKernels.Unavailable} when this platform or class path has none. */
    static synchronized OneDnnLibrary get() {
        if (instance == null) {
            instance = load();
        }
        return instance;
    }

    private static OneDnnLibrary load() {
        String os = System.getProperty("os.name", ""), arch = System.getProperty("os.arch", "");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new OneDnnKernels.Unavailable("oneDNN is bundled for Linux x86-64 only, this is " + os + " " + arch, null);
        }
        Path dir = cacheDir();
        try {
            Files.createDirectories(dir);
            for (String resource : RESOURCES) {
                unpack(resource, dir);
            }
        } catch (IOException | UncheckedIOException e) {
            throw new OneDnnKernels.Unavailable("cannot unpack oneDNN into " + dir + ": " + e.getMessage() + " (set COGVIDEOX_HOME to a writable folder)", e);
        }
        try {
            // oneDNN's OpenMP threads sleep between products instead of spinning: the Java kernels run between them
            // on the same cores. Set before libgomp reads its environment (at load); a value the user set wins.
            setenv("OMP_WAIT_POLICY", "PASSIVE");
            Arena global = Arena.global();
            SymbolLookup.libraryLookup(dir.resolve("libOpenCL.so.1"), global);
            SymbolLookup gomp = SymbolLookup.libraryLookup(dir.resolve("libgomp.so.1"), global);
            SymbolLookup dnnl = SymbolLookup.libraryLookup(dir.resolve("libdnnl.so.3"), global);
            return new OneDnnLibrary(dnnl, gomp);
        } catch (OneDnnKernels.Unavailable e) {
            throw e;
        } catch (Throwable e) {
            throw new OneDnnKernels.Unavailable("cannot load oneDNN from " + dir + ": " + e.getMessage(), e);
        }
    }

    /** {@code onednn-VERSION} in the project's home, {@code $COGVIDEOX_HOME} or {@code ~/.cache/cogvideox-java} (as the default model's). */
    static Path cacheDir() {
        String home = System.getenv("COGVIDEOX_HOME"), xdg = System.getenv("XDG_CACHE_HOME");
        Path root = home != null && !home.isBlank() ? Path.of(home)
                : (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache")).resolve("cogvideox-java");
        return root.resolve("onednn-" + VERSION);
    }

    private static void unpack(String resource, Path dir) throws IOException {
        Path target = dir.resolve(resource.substring(resource.lastIndexOf('/') + 1));
        try (InputStream in = OneDnnLibrary.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new OneDnnKernels.Unavailable("the class path has no " + resource + " (the org.bytedeco dnnl and opencl jars of classifier "
                        + "linux-x86_64)", null);
            }
            if (Files.isRegularFile(target)) {
                return;                                  // complete: copies are renamed into place only when whole
            }
            Path tmp = Files.createTempFile(dir, target.getFileName().toString(), ".tmp");
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private static void setenv(String name, String value) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle setenv = linker.downcallHandle(linker.defaultLookup().find("setenv").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) setenv.invokeExact(arena.allocateFrom(name), arena.allocateFrom(value), 0);
        }
    }

    private static MethodHandle handle(SymbolLookup lib, String name, FunctionDescriptor d) {
        MemorySegment symbol = lib.find(name).orElseThrow(() -> new OneDnnKernels.Unavailable("the oneDNN library has no " + name
                + " (expected oneDNN " + VERSION + ")", null));
        return Linker.nativeLinker().downcallHandle(symbol, d);
    }

    /** A float weight [rows, cols] widened and rounded to bf16 into {@code out} (row-major), row by row on the kernel threads. */
    static void weightToBf16(Weight w, MemorySegment out, int rows, int cols) {
        Parallel.forRange(rows, Math.max(1, (1 << 16) / cols), (r0, r1) -> {
            float[] row = new float[cols];
            for (int r = r0; r < r1; r++) {
                w.widen((long) r * cols, row, 0, cols);
                long base = (long) r * cols;
                for (int j = 0; j < cols; j++) {
                    out.setAtIndex(JAVA_SHORT, base + j, DType.toBf16(row[j]));
                }
            }
        });
    }

    /** A memory descriptor of {@code dims} (at most 12) in {@code type} and layout {@code tag}; destroy it with {@link #destroyDescs}. */
    MemorySegment memoryDesc(Arena local, MemorySegment out, int type, int tag, long... dims) throws Throwable {
        check((int) memoryDescCreate.invokeExact(out, dims.length, longs(local, dims), type, tag), "memory descriptor " + java.util.Arrays.toString(dims));
        return out.get(ADDRESS, 0);
    }

    /** {@code values} as a C array of 12 longs (dnnl_dims_t), the rest zero. */
    static MemorySegment longs(Arena local, long... values) {
        MemorySegment s = local.allocate(JAVA_LONG, 12);
        for (int i = 0; i < values.length; i++) {
            s.setAtIndex(JAVA_LONG, i, values[i]);
        }
        return s;
    }

    /** A memory object of descriptor {@code md} on the engine, without a buffer (its data handle is set at each call). */
    MemorySegment memory(MemorySegment out, MemorySegment md) throws Throwable {
        check((int) memoryCreate.invokeExact(out, md, engine, MemorySegment.NULL), "dnnl_memory_create");
        return out.get(ADDRESS, 0);
    }

    /** Destroys the descriptors that are not NULL. */
    void destroyDescs(MemorySegment... mds) throws Throwable {
        for (MemorySegment md : mds) {
            if (!md.equals(MemorySegment.NULL)) {
                check((int) memoryDescDestroy.invokeExact(md), "dnnl_memory_desc_destroy");
            }
        }
    }

    /** Destroys the memory objects that are not NULL, then each primitive and its descriptor (pairs: primitive, descriptor). */
    void destroy(MemorySegment[] memories, MemorySegment... primitivesAndDescs) {
        try {
            for (MemorySegment m : memories) {
                if (!m.equals(MemorySegment.NULL)) {
                    int ignored = (int) memoryDestroy.invokeExact(m);
                }
            }
            for (int i = 0; i < primitivesAndDescs.length; i += 2) {
                int p = (int) primitiveDestroy.invokeExact(primitivesAndDescs[i]);
                int pd = (int) primitiveDescDestroy.invokeExact(primitivesAndDescs[i + 1]);
            }
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Fails on a status other than {@code dnnl_success}, naming the call and the status. */
    static void check(int status, String call) {
        if (status != 0) {
            throw new IllegalStateException("oneDNN " + call + " failed: " + statusName(status));
        }
    }

    private static String statusName(int status) {
        return switch (status) {
            case 1 -> "out of memory";
            case 2 -> "invalid arguments";
            case 3 -> "unimplemented (no kernel for these shapes and types on this CPU)";
            case 5 -> "runtime error";
            case 6 -> "not required";
            default -> "status " + status;
        };
    }
}
