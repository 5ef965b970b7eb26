package dev.cogvideox.model;

/**
 * Processes (ranks) that compute one run together, and the two exchanges parallel inference needs. Every rank of the
 * group calls the same exchanges in the same order with counts that agree. {@link #SINGLE} is this process alone,
 * where both exchanges are copies; the {@code distributed} module gives groups of Open MPI ranks (core itself needs
 * no MPI).
 */
public interface ProcessGroup {
    /** This process's rank in the group, {@code 0 <= rank < size}. */
    int rank();

    /** The number of ranks. */
    int size();

    /**
     * Every rank's floats, concatenated in rank order into {@code all}: {@code counts[r]} floats from rank r, this
     * rank's being the first {@code counts[rank()]} of {@code mine}.
     */
    void allGather(float[] mine, float[] all, int[] counts);

    /**
     * The personalised exchange: {@code send} holds {@code sendCounts[r]} floats for each rank r one after another, in
     * rank order; {@code recv} gets {@code recvCounts[r]} floats from each rank r the same way.
     */
    void allToAll(float[] send, int[] sendCounts, float[] recv, int[] recvCounts);

    /**
     * Waits until every rank of the group has loaded what its run needs (the ranks load at their disks' speed, and
     * rank 0 alone runs the text encoder first), so that the exchanges after it wait only for computation: a group
     * that limits how long an exchange may wait limits this wait separately, with a longer limit of its own. Every
     * rank calls it at the same point. The default, for groups without time limits, does nothing: the next exchange
     * waits as long.
     */
    default void awaitLoaded() {
    }

    /** This process alone. */
    ProcessGroup SINGLE = new ProcessGroup() {
        @Override
        public int rank() {
            return 0;
        }

        @Override
        public int size() {
            return 1;
        }

        @Override
        public void allGather(float[] mine, float[] all, int[] counts) {
            System.arraycopy(mine, 0, all, 0, counts[0]);
        }

        @Override
        public void allToAll(float[] send, int[] sendCounts, float[] recv, int[] recvCounts) {
            System.arraycopy(send, 0, recv, 0, sendCounts[0]);
        }

        @Override
        public String toString() {
            return "this process alone";
        }
    };
}
