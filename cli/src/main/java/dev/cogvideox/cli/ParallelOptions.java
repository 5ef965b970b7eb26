package dev.cogvideox.cli;

import dev.cogvideox.distributed.Communicator;
import dev.cogvideox.distributed.InferenceRanks;
import dev.cogvideox.model.Ranks;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * {@code --parallel}, {@code --collective-timeout} and {@code --load-timeout}: one video's generation split over the
 * ranks of {@code mpirun}.
 */
final class ParallelOptions {
    @Option(names = "--parallel", paramLabel = "MODES", split = ",", description = "Under mpirun -np N, one video over N ranks: "
            + "cfg (the guidance's unconditional and conditional passes on 2 ranks), sequence (each rank a slice of the tokens "
            + "and N-th of the attention heads, Ulysses; N must divide the heads: 30 for 2b, 48 for 5b) or cfg,sequence "
            + "(2 x N/2 ranks). The same video as one process; rank 0 alone checks the output, prints, runs the text encoder and "
            + "writes the video (with --vae-tiling the ranks share the decode's tiles). Default: none, each rank alone (without "
            + "mpirun: one process).")
    List<String> modes = List.of();

    @Option(names = "--collective-timeout", defaultValue = "600", description = "With --parallel: seconds a rank waits for the "
            + "others in an exchange before it reports a stuck or unreachable rank and ends the job (loading is --load-timeout's); "
            + "0 waits for ever (default 600).")
    long collectiveTimeout;

    @Option(names = "--load-timeout", defaultValue = "3600", description = "With --parallel: seconds the ranks wait for rank 0 to check "
            + "the options and the output (it may be fetching the model) and, after loading the model, for the slowest rank to load it "
            + "(and rank 0 to run the text encoder), before they report a stuck rank and end the job; 0 waits for ever (default 3600).")
    long loadTimeout;

    /**
     * Joins the job {@code mpirun} started, or the world of this process alone; the options are checked afterwards, by
     * rank 0 alone ({@link #check}).
     */
    Communicator join() {
        return Communicator.fromEnvironment(Duration.ofSeconds(Math.max(0, collectiveTimeout)), Duration.ofSeconds(Math.max(0, loadTimeout)),
                "run the generation again");
    }

    /** The options, against the ranks {@code mpirun} started; the message names the option. */
    void check(Communicator comm) {
        for (String m : modes) {
            String mode = m.trim().toLowerCase(Locale.ROOT);
            if (!mode.equals("cfg") && !mode.equals("sequence")) {
                throw new IllegalArgumentException("--parallel takes cfg, sequence or cfg,sequence, not " + m);
            }
        }
        if (collectiveTimeout < 0) {
            throw new IllegalArgumentException("--collective-timeout must not be negative (0 waits for ever), got " + collectiveTimeout);
        }
        if (loadTimeout < 0) {
            throw new IllegalArgumentException("--load-timeout must not be negative (0 waits for ever), got " + loadTimeout);
        }
        InferenceRanks.check(comm.size(), has("cfg"), has("sequence"));
    }

    /** How the generation is split over {@code comm}'s ranks (every rank calls it). */
    Ranks ranks(Communicator comm) {
        return InferenceRanks.of(comm, has("cfg"), has("sequence"));
    }

    private boolean has(String mode) {
        return modes.stream().anyMatch(m -> m.trim().equalsIgnoreCase(mode));
    }
}
