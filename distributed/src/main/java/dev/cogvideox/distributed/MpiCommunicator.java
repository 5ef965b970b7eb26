package dev.cogvideox.distributed;

import dev.cogvideox.model.ProcessGroup;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * {@code MPI_COMM_WORLD} of Open MPI through its C API ({@code libmpi.so.40}), called with {@code java.lang.foreign}.
 * Open MPI's handles ({@code MPI_COMM_WORLD}, {@code MPI_FLOAT}, {@code MPI_SUM}, ...) are the addresses of its global
 * objects ({@code ompi_mpi_comm_world}, ...), and {@code MPI_IN_PLACE} is the address 1.
 *
 * <p>Faults: a rank that exits without {@code MPI_Finalize} (an error, a kill) makes {@code mpirun} send SIGTERM to
 * the others (measured: about 1 s later, the whole job gone within 2 s); a shutdown hook then prints, on each of them,
 * that the job is being ended from outside. (Ctrl-C on mpirun sends the same SIGTERM to every rank: they cancel
 * together, and rank 0 writes a checkpoint if the step ends before mpirun's SIGKILL.) A rank that is alive but never arrives (stuck, or its machine unreachable) is
 * caught by a watchdog: a rank waiting longer than the collective timeout in an all-reduce or broadcast prints what it
 * waited for and exits, which ends the job the same way. The waits for ranks that are still loading their models, or
 * for rank 0's checks before any work, have the load timeout instead, and a message of their own.
 */
final class MpiCommunicator implements Communicator {
    /** Exit code of a rank whose watchdog fired. */
    static final int TIMED_OUT = 4;
    private static final int MPI_THREAD_SERIALIZED = 2;
    private static final MemorySegment IN_PLACE = MemorySegment.ofAddress(1);
    /** The largest count one MPI call takes (an int), rounded down to whole 1 MiB blocks. */
    private static final int MAX_COUNT = Integer.MAX_VALUE & ~((1 << 18) - 1);

    private final MethodHandle allReduce, bcast, barrier, finalizeMpi, allGatherV, allToAllV, commSplit, commRank, commSize;
    private final MemorySegment world, mpiFloat, mpiDouble, mpiByte, sum;
    private final int rank, size;
    private final long timeoutNanos, loadTimeoutNanos;
    private final String afterEnd;
    private volatile long waitingSince;                     // 0 when not in a timed collective
    private volatile Wait waiting = new Wait("", 0, "", "");
    private volatile boolean ended;                         // finish() or close() ran: this rank's own exit

    private MpiCommunicator(SymbolLookup mpi, Duration timeout, Duration loadTimeout, String afterEnd) {
        Linker linker = Linker.nativeLinker();
        MethodHandle initThread = linker.downcallHandle(symbol(mpi, "MPI_Init_thread"), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
        commRank = linker.downcallHandle(symbol(mpi, "MPI_Comm_rank"), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        commSize = linker.downcallHandle(symbol(mpi, "MPI_Comm_size"), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        allGatherV = linker.downcallHandle(symbol(mpi, "MPI_Allgatherv"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        allToAllV = linker.downcallHandle(symbol(mpi, "MPI_Alltoallv"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        commSplit = linker.downcallHandle(symbol(mpi, "MPI_Comm_split"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
        allReduce = linker.downcallHandle(symbol(mpi, "MPI_Allreduce"), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        bcast = linker.downcallHandle(symbol(mpi, "MPI_Bcast"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        barrier = linker.downcallHandle(symbol(mpi, "MPI_Barrier"), FunctionDescriptor.of(JAVA_INT, ADDRESS));
        finalizeMpi = linker.downcallHandle(symbol(mpi, "MPI_Finalize"), FunctionDescriptor.of(JAVA_INT));
        world = symbol(mpi, "ompi_mpi_comm_world");
        mpiFloat = symbol(mpi, "ompi_mpi_float");
        mpiDouble = symbol(mpi, "ompi_mpi_double");
        mpiByte = symbol(mpi, "ompi_mpi_byte");
        sum = symbol(mpi, "ompi_mpi_op_sum");
        timeoutNanos = timeout.toNanos();
        loadTimeoutNanos = loadTimeout.toNanos();
        this.afterEnd = afterEnd;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check("MPI_Init_thread", (int) initThread.invokeExact(MemorySegment.NULL, MemorySegment.NULL, MPI_THREAD_SERIALIZED, out));
            check("MPI_Comm_rank", (int) commRank.invokeExact(world, out));
            rank = out.get(JAVA_INT, 0);
            check("MPI_Comm_size", (int) commSize.invokeExact(world, out));
            size = out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Loads libmpi ({@code COGVIDEOX_LIBMPI}, else {@code libmpi.so.40}, else {@code libmpi.so}) and joins the job. */
    static MpiCommunicator init(Duration collectiveTimeout, Duration loadTimeout, String afterEnd) {
        List<String> names = new ArrayList<>();
        String configured = System.getenv("COGVIDEOX_LIBMPI");
        if (configured != null && !configured.isBlank()) {
            names.add(configured);
        } else {
            names.add("libmpi.so.40");
            names.add("libmpi.so");
        }
        SymbolLookup mpi = null;
        List<String> failures = new ArrayList<>();
        for (String name : names) {
            try {
                mpi = SymbolLookup.libraryLookup(name, Arena.global());
                break;
            } catch (IllegalArgumentException e) {
                failures.add(name);
            }
        }
        if (mpi == null) {
            throw new IllegalStateException("mpirun started this process (OMPI_COMM_WORLD_SIZE=" + System.getenv("OMPI_COMM_WORLD_SIZE")
                    + ") but Open MPI's library could not be loaded (tried " + String.join(", ", failures) + "): install Open MPI "
                    + "(Debian: apt-get install openmpi-bin libopenmpi-dev) or set COGVIDEOX_LIBMPI to the path of libmpi.so");
        }
        MpiCommunicator c = new MpiCommunicator(mpi, collectiveTimeout, loadTimeout, afterEnd);
        c.startWatchdog();
        Runtime.getRuntime().addShutdownHook(new Thread(c::onShutdown, "mpi rank shutdown"));
        return c;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public void allReduceSum(MemorySegment floats, long count) {
        if (!floats.isNative()) {
            throw new IllegalArgumentException("MPI reduces native memory; got a heap segment");
        }
        timed("the gradient all-reduce", () -> {
            for (long from = 0; from < count; from += MAX_COUNT) {
                int n = (int) Math.min(MAX_COUNT, count - from);
                check("MPI_Allreduce", (int) allReduce.invokeExact(IN_PLACE, floats.asSlice(from * Float.BYTES), n, mpiFloat, sum, world));
            }
        });
    }

    @Override
    public void allReduceSum(double[] values) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocateFrom(ValueLayout.JAVA_DOUBLE, values);
            timed("a small all-reduce (the step's loss, Ctrl-C)", () ->
                    check("MPI_Allreduce", (int) allReduce.invokeExact(IN_PLACE, buf, values.length, mpiDouble, sum, world)));
            MemorySegment.copy(buf, ValueLayout.JAVA_DOUBLE, 0, values, 0, values.length);
        }
    }

    @Override
    public void broadcast(byte[] bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocateFrom(ValueLayout.JAVA_BYTE, bytes);
            timed("a broadcast from rank 0", () -> check("MPI_Bcast", (int) bcast.invokeExact(buf, bytes.length, mpiByte, 0, world)));
            MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, bytes, 0, bytes.length);
        }
    }

    @Override
    public void allGather(float[] mine, float[] all, int[] counts) {
        allGather(world, rank, mine, all, counts);
    }

    @Override
    public void allToAll(float[] send, int[] sendCounts, float[] recv, int[] recvCounts) {
        allToAll(world, send, sendCounts, recv, recvCounts);
    }

    @Override
    public ProcessGroup split(int color, int key) {
        MemorySegment comm;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            timed("splitting the ranks into groups", () -> check("MPI_Comm_split", (int) commSplit.invokeExact(world, color, key, out)));
            comm = out.get(ADDRESS, 0);
        }
        int subRank = query(commRank, "MPI_Comm_rank", comm), subSize = query(commSize, "MPI_Comm_size", comm);
        return new ProcessGroup() {
            @Override
            public int rank() {
                return subRank;
            }

            @Override
            public int size() {
                return subSize;
            }

            @Override
            public void allGather(float[] mine, float[] all, int[] counts) {
                MpiCommunicator.this.allGather(comm, subRank, mine, all, counts);
            }

            @Override
            public void allToAll(float[] send, int[] sendCounts, float[] recv, int[] recvCounts) {
                MpiCommunicator.this.allToAll(comm, send, sendCounts, recv, recvCounts);
            }
        };
    }

    /** MPI_Allgatherv on {@code comm}, through native copies of the arrays. */
    private void allGather(MemorySegment comm, int rankInComm, float[] mine, float[] all, int[] counts) {
        int n = counts.length;
        try (Arena a = Arena.ofConfined()) {
            int[] displs = displacements(counts);
            int me = counts[rankInComm];
            MemorySegment send = a.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, me)), recv = a.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, displs[n - 1] + counts[n - 1]));
            MemorySegment.copy(mine, 0, send, ValueLayout.JAVA_FLOAT, 0, me);
            MemorySegment c = a.allocateFrom(JAVA_INT, counts), d = a.allocateFrom(JAVA_INT, displs);
            timed("an all-gather (parallel inference)", () -> check("MPI_Allgatherv",
                    (int) allGatherV.invokeExact(send, me, mpiFloat, recv, c, d, mpiFloat, comm)));
            MemorySegment.copy(recv, ValueLayout.JAVA_FLOAT, 0, all, 0, displs[n - 1] + counts[n - 1]);
        }
    }

    /** MPI_Alltoallv on {@code comm}, through native copies of the arrays. */
    private void allToAll(MemorySegment comm, float[] send, int[] sendCounts, float[] recv, int[] recvCounts) {
        int n = sendCounts.length;
        try (Arena a = Arena.ofConfined()) {
            int[] sd = displacements(sendCounts), rd = displacements(recvCounts);
            int sendTotal = sd[n - 1] + sendCounts[n - 1], recvTotal = rd[n - 1] + recvCounts[n - 1];
            MemorySegment s = a.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, sendTotal)), r = a.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, recvTotal));
            MemorySegment.copy(send, 0, s, ValueLayout.JAVA_FLOAT, 0, sendTotal);
            MemorySegment sc = a.allocateFrom(JAVA_INT, sendCounts), sdp = a.allocateFrom(JAVA_INT, sd);
            MemorySegment rc = a.allocateFrom(JAVA_INT, recvCounts), rdp = a.allocateFrom(JAVA_INT, rd);
            timed("an all-to-all (sequence-parallel attention)", () -> check("MPI_Alltoallv",
                    (int) allToAllV.invokeExact(s, sc, sdp, mpiFloat, r, rc, rdp, mpiFloat, comm)));
            MemorySegment.copy(r, ValueLayout.JAVA_FLOAT, 0, recv, 0, recvTotal);
        }
    }

    /** MPI_Comm_rank or MPI_Comm_size of {@code comm}. */
    private static int query(MethodHandle function, String name, MemorySegment comm) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            call(() -> check(name, (int) function.invokeExact(comm, n)));
            return n.get(JAVA_INT, 0);
        }
    }

    private static int[] displacements(int[] counts) {
        int[] d = new int[counts.length];
        for (int i = 1; i < counts.length; i++) {
            d[i] = Math.addExact(d[i - 1], counts[i - 1]);
        }
        return d;
    }

    @Override
    public void barrier() {
        call(() -> check("MPI_Barrier", (int) barrier.invokeExact(world)));
    }

    @Override
    public void awaitLoaded() {
        timed(new Wait("for the other ranks to load the model", loadTimeoutNanos, "--load-timeout",
                "a rank is stuck fetching or loading it (a slow or unreachable disk or network) or its machine cannot be reached"),
                () -> check("MPI_Barrier", (int) barrier.invokeExact(world)));
    }

    @Override
    public boolean fromRankZero(boolean value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocateFrom(ValueLayout.JAVA_BYTE, (byte) (value ? 1 : 0));
            timed(new Wait("for rank 0 to check the options and the output", loadTimeoutNanos, "--load-timeout",
                    "rank 0 is stuck (fetching the model, or the prompt enhancer) or its machine cannot be reached"),
                    () -> check("MPI_Bcast", (int) bcast.invokeExact(buf, 1, mpiByte, 0, world)));
            return buf.get(ValueLayout.JAVA_BYTE, 0) != 0;
        }
    }

    @Override
    public void finish() {
        if (!ended) {
            ended = true;
            call(() -> check("MPI_Finalize", (int) finalizeMpi.invokeExact()));
        }
    }

    /** Without {@link #finish}: this rank is failing; its exit (not MPI_Finalize, which would wait for the others) ends the job. */
    @Override
    public void close() {
        ended = true;
    }

    @FunctionalInterface
    private interface MpiCall {
        void run() throws Throwable;
    }

    /**
     * What a rank waits for, how long it may ({@code limitNanos}, 0 for ever), the option that sets the limit, and
     * what is likely wrong when it runs out.
     */
    private record Wait(String what, long limitNanos, String option, String likely) {
    }

    private void timed(String what, MpiCall call) {
        timed(new Wait("in " + what + " for the other ranks", timeoutNanos, "--collective-timeout",
                "a rank is stuck or its machine cannot be reached"), call);
    }

    private void timed(Wait wait, MpiCall call) {
        waiting = wait;
        waitingSince = System.nanoTime();
        try {
            call(call);
        } finally {
            waitingSince = 0;
        }
    }

    private static void call(MpiCall call) {
        try {
            call.run();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private void startWatchdog() {
        long shortest = Math.min(timeoutNanos <= 0 ? Long.MAX_VALUE : timeoutNanos, loadTimeoutNanos <= 0 ? Long.MAX_VALUE : loadTimeoutNanos);
        if (shortest == Long.MAX_VALUE) {
            return;
        }
        Thread dog = Thread.ofPlatform().daemon().name("mpi collective watchdog").unstarted(() -> {
            long tick = Math.clamp(shortest / 20 / 1_000_000, 50, 1000);
            while (true) {
                try {
                    Thread.sleep(tick);
                } catch (InterruptedException e) {
                    return;
                }
                long since = waitingSince;
                Wait wait = waiting;
                if (since != 0 && wait.limitNanos() > 0 && System.nanoTime() - since > wait.limitNanos()) {
                    ended = true;
                    System.err.println(prefix() + "waited " + Duration.ofNanos(wait.limitNanos()).toSeconds() + " s " + wait.what()
                            + " (" + wait.option() + "): " + wait.likely() + "; ending the job (" + afterEnd + ")");
                    System.err.flush();
                    Runtime.getRuntime().halt(TIMED_OUT);
                }
            }
        });
        dog.start();
    }

    private void onShutdown() {
        if (!ended) {
            System.err.println(prefix() + "stopping: mpirun is ending the job (another rank failed or exited, see its message; or "
                    + "mpirun was interrupted); " + afterEnd);
            System.err.flush();
        }
    }

    private static void check(String function, int rc) {
        if (rc != 0) {
            throw new IllegalStateException(function + " failed with MPI error code " + rc);
        }
    }

    private static MemorySegment symbol(SymbolLookup mpi, String name) {
        return mpi.find(name).orElseThrow(() -> new IllegalStateException("the MPI library has no " + name
                + ": running under mpirun needs Open MPI (4.x or 5.x)"));
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t.getMessage(), t);
    }
}
