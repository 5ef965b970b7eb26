package dev.cogvideox.verify;

/**
 * Computes what a golden case of one component asks for and hands each output to the {@link Checker}.
 * A verifier must handle every case of its component: a case it cannot compute is a failure, not a skip.
 */
public interface ComponentVerifier {
    /** The {@code component} value of the cases this verifier runs. */
    String component();

    void verify(GoldenCase c, Checker checker) throws Exception;
}
