package dev.cogvideox.distributed;

import dev.cogvideox.model.ProcessGroup;

import java.lang.foreign.MemorySegment;

/** The world of one process: every collective is the identity. */
final class SingleProcess implements Communicator {
    static final SingleProcess INSTANCE = new SingleProcess();

    private SingleProcess() {
    }

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
        ProcessGroup.SINGLE.allGather(mine, all, counts);
    }

    @Override
    public void allToAll(float[] send, int[] sendCounts, float[] recv, int[] recvCounts) {
        ProcessGroup.SINGLE.allToAll(send, sendCounts, recv, recvCounts);
    }

    @Override
    public ProcessGroup split(int color, int key) {
        return ProcessGroup.SINGLE;
    }

    @Override
    public void allReduceSum(MemorySegment floats, long count) {
    }

    @Override
    public void allReduceSum(double[] values) {
    }

    @Override
    public void broadcast(byte[] bytes) {
    }

    @Override
    public void barrier() {
    }

    @Override
    public boolean fromRankZero(boolean value) {
        return value;
    }

    @Override
    public void finish() {
    }

    @Override
    public void close() {
    }
}
