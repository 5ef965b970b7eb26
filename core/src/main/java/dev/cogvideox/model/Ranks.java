package dev.cogvideox.model;

/**
 * How one generation is split over processes: {@code guidance} (CFG parallel) computes the unconditional and the
 * conditional half of each transformer pass on its ranks (size 1 or 2), {@code sequence} (Ulysses sequence parallel)
 * gives each of its ranks a slice of the tokens and a slice of the attention heads, and {@code world} is every rank
 * of the job (rank 0 decodes and writes the output). {@link #SINGLE}: this process does everything.
 */
public record Ranks(ProcessGroup world, ProcessGroup guidance, ProcessGroup sequence) {
    public static final Ranks SINGLE = new Ranks(ProcessGroup.SINGLE, ProcessGroup.SINGLE, ProcessGroup.SINGLE);

    public Ranks {
        if (world == null || guidance == null || sequence == null) {
            throw new IllegalArgumentException("ranks: give ProcessGroup.SINGLE for a part this process does alone");
        }
        if (guidance.size() > 2) {
            throw new IllegalArgumentException("CFG parallel splits a transformer pass into its 2 halves: " + guidance.size()
                    + " guidance ranks");
        }
        if (guidance.size() * sequence.size() != world.size()) {
            throw new IllegalArgumentException(guidance.size() + " guidance x " + sequence.size() + " sequence ranks in a job of "
                    + world.size() + " ranks");
        }
    }

    /** True on the rank that decodes the video and writes the output (rank 0 of the job). */
    public boolean writes() {
        return world.rank() == 0;
    }
}
