package dev.cogvideox.train.distributed;

import dev.cogvideox.distributed.Communicator;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.model.Parameter;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Averages a step's gradients over the ranks so that every rank holds the gradient of the mean loss over the global
 * batch: rank r computed the mean over its {@code n_r} clips, so its gradients are weighted by {@code n_r / N} and
 * summed ({@code N} the clips of all ranks). The result equals one process's backward pass over all {@code N} clips up
 * to the order of the float additions.
 *
 * <p>The gradients travel in buckets of at most {@value #BUCKET_FLOATS} floats (16 MiB) through one native buffer: a
 * bucket is copied in (weighted), all-reduced in place and copied back. A parameter no rank's backward pass reached
 * keeps no gradient, as in one process; one that only some ranks reached gets one on every rank.
 */
public final class GradientAllReduce {
    static final int BUCKET_FLOATS = 1 << 22;
    private final Communicator comm;
    private MemorySegment bucket;

    public GradientAllReduce(Communicator comm) {
        this.comm = comm;
    }

    /**
     * Replaces every rank's gradients by their weighted sum and returns the global mean loss.
     *
     * @param localLoss   the mean loss over this rank's clips
     * @param localClips  this rank's clips in the step
     * @param globalClips the clips of all ranks in the step
     */
    public double average(List<Parameter> params, double localLoss, int localClips, int globalClips) {
        if (comm.size() == 1 && localClips == globalClips) {
            return localLoss;
        }
        float weight = (float) localClips / globalClips;
        // 1. the loss and which parameters any rank has a gradient for, in one small reduction
        double[] small = new double[params.size() + 1];
        small[0] = localLoss * localClips / globalClips;
        for (int i = 0; i < params.size(); i++) {
            small[i + 1] = params.get(i).grad() != null ? 1 : 0;
        }
        comm.allReduceSum(small);

        // 2. the gradients, bucket by bucket, in parameter order (the same on every rank)
        if (bucket == null) {
            long total = 0;
            for (Parameter p : params) {
                total += p.value().numel();
            }
            bucket = Arena.ofAuto().allocate(Math.max(1, Math.min(total, BUCKET_FLOATS)) * Float.BYTES, 64);
        }
        long capacity = bucket.byteSize() / Float.BYTES;
        int first = 0;
        while (first < params.size()) {
            long used = 0;
            int end = first;
            for (; end < params.size(); end++) {
                if (small[end + 1] == 0) {
                    continue;                                    // no rank has a gradient: it stays null
                }
                long n = params.get(end).value().numel();
                if (used > 0 && used + n > capacity) {
                    break;
                }
                if (n > capacity) {                              // a parameter larger than a bucket goes alone, in slices
                    if (used == 0) {
                        reduceLarge(params.get(end), weight);
                        end++;
                    }
                    break;
                }
                copyIn(params.get(end), weight, used);
                used += n;
            }
            if (used > 0) {
                comm.allReduceSum(bucket, used);
                long at = 0;
                for (int i = first; i < end; i++) {
                    Parameter p = params.get(i);
                    if (small[i + 1] != 0 && p.value().numel() <= capacity) {
                        copyOut(p, at, 0, p.value().numel());
                        at += p.value().numel();
                    }
                }
            }
            first = end;
        }
        return small[0];
    }

    private void reduceLarge(Parameter p, float weight) {
        ensureGrad(p);
        float[] g = p.grad().data();
        long capacity = bucket.byteSize() / Float.BYTES;
        for (int from = 0; from < g.length; from += (int) capacity) {
            int n = (int) Math.min(capacity, g.length - from);
            for (int i = 0; i < n; i++) {
                bucket.setAtIndex(ValueLayout.JAVA_FLOAT, i, g[from + i] * weight);
            }
            comm.allReduceSum(bucket, n);
            copyOut(p, 0, from, n);
        }
    }

    private void copyIn(Parameter p, float weight, long at) {
        Tensor grad = p.grad();
        long n = p.value().numel();
        if (grad == null) {
            bucket.asSlice(at * Float.BYTES, n * Float.BYTES).fill((byte) 0);
            return;
        }
        float[] g = grad.data();
        for (int i = 0; i < g.length; i++) {
            bucket.setAtIndex(ValueLayout.JAVA_FLOAT, at + i, g[i] * weight);
        }
    }

    private void copyOut(Parameter p, long at, int to, int n) {
        ensureGrad(p);
        MemorySegment.copy(bucket, ValueLayout.JAVA_FLOAT, at * Float.BYTES, p.grad().data(), to, n);
    }

    private static void ensureGrad(Parameter p) {
        if (p.grad() == null) {
            p.accumulate(Tensor.zeros(p.value().shape()));
        }
    }
}
