package dev.cogvideox.distributed;

import dev.cogvideox.model.ProcessGroup;
import dev.cogvideox.model.Ranks;

/**
 * The {@link Ranks} of a parallel generation from the job's ranks: CFG parallel puts the guidance's two halves on 2
 * ranks, sequence parallel splits the tokens and heads over the rest. With both on {@code 2 x k} ranks, rank
 * {@code g * k + s} computes guidance half g and sequence slice s.
 */
public final class InferenceRanks {
    private InferenceRanks() {
    }

    /**
     * @param cfg      CFG parallel ({@code --parallel cfg})
     * @param sequence sequence parallel ({@code --parallel sequence})
     */
    public static Ranks of(Communicator world, boolean cfg, boolean sequence) {
        int n = world.size();
        check(n, cfg, sequence);
        if (n == 1) {
            return new Ranks(world, ProcessGroup.SINGLE, ProcessGroup.SINGLE);          // one process does everything
        }
        int guidance = cfg ? 2 : 1, slices = n / guidance;
        int g = world.rank() / slices, s = world.rank() % slices;
        ProcessGroup sequenceGroup = world.split(g, s);                  // the ranks of one guidance half
        ProcessGroup guidanceGroup = world.split(s, g);                  // the ranks of one slice
        return new Ranks(world, guidanceGroup, sequenceGroup);
    }

    /** Throws, naming the option, when {@code n} ranks cannot be split as {@code cfg} and {@code sequence} ask. */
    public static void check(int n, boolean cfg, boolean sequence) {
        if (n == 1) {
            return;
        }
        if (!cfg && !sequence) {
            throw new IllegalArgumentException("mpirun started " + n + " ranks, but nothing splits the generation over them: give "
                    + "--parallel cfg (2 ranks), sequence or cfg,sequence (each rank would otherwise make the same video)");
        }
        if (cfg && !sequence && n != 2) {
            throw new IllegalArgumentException("CFG parallel puts the guidance's 2 halves on 2 ranks, mpirun started " + n
                    + ": run mpirun -np 2, or --parallel cfg,sequence for 2 x k ranks");
        }
        if (cfg && n % 2 != 0) {
            throw new IllegalArgumentException("--parallel cfg,sequence runs on 2 x k ranks (2 guidance halves x k sequence slices), "
                    + "mpirun started " + n);
        }
    }
}
