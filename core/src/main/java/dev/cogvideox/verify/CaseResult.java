package dev.cogvideox.verify;

import java.util.List;

/** The outcome of one golden case. */
public record CaseResult(String name, String component, Status status, String message, List<Checker.TensorResult> tensors) {
    public enum Status { PASSED, FAILED, SKIPPED }

    /** Largest absolute error over all compared tensors. */
    public double worstAbs() {
        return tensors.stream().mapToDouble(Checker.TensorResult::worstAbs).filter(d -> !Double.isNaN(d)).max().orElse(0);
    }

    /** Largest relative error over all compared tensors. */
    public double worstRel() {
        return tensors.stream().mapToDouble(Checker.TensorResult::worstRel).filter(d -> !Double.isNaN(d)).max().orElse(0);
    }

    /** One line: case, status, worst errors, and what failed. */
    public String line() {
        String head = String.format("%-40s %-7s", name, status);
        if (status == Status.SKIPPED) {
            return head + " " + message;
        }
        String errs = String.format(" worst abs %.3e rel %.3e (%d tensors)", worstAbs(), worstRel(), tensors.size());
        return status == Status.PASSED ? head + errs : head + errs + " " + message;
    }
}
