package dev.cogvideox.distributed;

import dev.cogvideox.model.ProcessGroup;

import java.lang.foreign.MemorySegment;
import java.time.Duration;

/**
 * The ranks of a job started by {@code mpirun} and the collective operations data-parallel training and parallel
 * inference need (the latter's through {@link ProcessGroup}, the group core splits a run over). Every rank calls the
 * same collectives in the same order. {@link #single()} is the world of one process (no MPI library needed);
 * {@link #fromEnvironment} is Open MPI's {@code MPI_COMM_WORLD} when the process was started by {@code mpirun}.
 *
 * <p>A job ends in one of two ways: {@link #finish()} after a complete run (every rank), or a rank exits without it
 * (an error, a kill): Open MPI then terminates the other ranks, and each prints why it stopped.
 */
public interface Communicator extends ProcessGroup, AutoCloseable {
    /** This process's rank, {@code 0 <= rank < size}. */
    int rank();

    /** The number of ranks. */
    int size();

    /**
     * The group of the ranks that pass the same {@code color}, ranked by {@code key} (MPI_Comm_split); every rank
     * calls it.
     */
    ProcessGroup split(int color, int key);

    /** Sums {@code count} floats of a native segment over the ranks, in place. */
    void allReduceSum(MemorySegment floats, long count);

    /** Sums a few doubles over the ranks, in place. */
    void allReduceSum(double[] values);

    /** Replaces {@code bytes} (the same length on every rank) with rank 0's. */
    void broadcast(byte[] bytes);

    /**
     * Waits for every rank, with no time limit: for the waits that are expected to be long (another rank encoding
     * its share of the latent cache, rank 0 writing a checkpoint or a validation video).
     */
    void barrier();

    /**
     * Rank 0's {@code value} on every rank (the others' is ignored): rank 0's verdict on its checks before any work,
     * which the other ranks wait for up to the load timeout (rank 0 may be fetching the model meanwhile).
     */
    boolean fromRankZero(boolean value);

    /** Ends the job normally (every rank, after the last collective). */
    void finish();

    /** Releases the communicator; after an error (no {@link #finish}) the process exits and Open MPI ends the others. */
    @Override
    void close();

    /** {@code "rank 1 of 2: "} in a job of several ranks, else empty: the prefix of a rank's own messages. */
    default String prefix() {
        return size() == 1 ? "" : "rank " + rank() + " of " + size() + ": ";
    }

    /** True when any rank passes true (e.g. a Ctrl-C seen by one rank stops them all after the same step). */
    default boolean any(boolean mine) {
        if (size() == 1) {
            return mine;
        }
        double[] v = {mine ? 1 : 0};
        allReduceSum(v);
        return v[0] > 0;
    }

    /** The world of this one process. */
    static Communicator single() {
        return SingleProcess.INSTANCE;
    }

    /**
     * {@link #fromEnvironment(Duration, Duration, String)} with no limit on the waits for loading ranks
     * ({@link #awaitLoaded}, {@link #fromRankZero}).
     */
    static Communicator fromEnvironment(Duration collectiveTimeout, String afterEnd) {
        return fromEnvironment(collectiveTimeout, Duration.ZERO, afterEnd);
    }

    /**
     * Open MPI's world when {@code mpirun} started this process (it sets {@code OMPI_COMM_WORLD_SIZE}), else
     * {@link #single()}.
     *
     * @param collectiveTimeout how long a rank waits in an all-reduce, broadcast, all-gather or all-to-all for the others
     *                          before it reports a stuck or lost rank and exits (ending the job); zero waits for ever
     * @param loadTimeout       the same for the waits for ranks that are still loading ({@link #awaitLoaded}) or for
     *                          rank 0's checks ({@link #fromRankZero}), which may take much longer; zero waits for ever
     * @param afterEnd          what the user can do after the job was ended that way (e.g. "continue with --resume
     *                          from the last checkpoint"), the end of each rank's message
     */
    static Communicator fromEnvironment(Duration collectiveTimeout, Duration loadTimeout, String afterEnd) {
        String size = System.getenv("OMPI_COMM_WORLD_SIZE");
        if (size == null) {
            if (System.getenv("PMI_SIZE") != null || System.getenv("PMIX_RANK") != null && System.getenv("OMPI_COMM_WORLD_RANK") == null) {
                throw new IllegalStateException("this process was started by an MPI launcher other than Open MPI's mpirun; "
                        + "cogvideox calls Open MPI's libmpi (install openmpi-bin and start it with Open MPI's mpirun)");
            }
            return single();
        }
        return MpiCommunicator.init(collectiveTimeout, loadTimeout, afterEnd);
    }
}
