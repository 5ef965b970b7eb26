package dev.cogvideox.model.vae;

import dev.cogvideox.model.ProcessGroup;
import dev.cogvideox.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Brings the tiles a split decode left on every rank (tile k, row-major, on rank k mod P) to rank 0, in place: the
 * shapes of each rank's frame batches first (an all-gather of a few numbers), then their floats (an all-to-all in
 * which only rank 0 receives).
 */
final class TileGather {
    private TileGather() {
    }

    /** {@code rows}: row -> tile -> frame batches, filled for this rank's tiles; on return rank 0's is filled for all. */
    static void toRankZero(ProcessGroup world, List<List<List<Tensor>>> rows) {
        int p = world.size();
        List<List<Tensor>> tiles = new ArrayList<>();
        rows.forEach(tiles::addAll);
        // 1. each rank's batch shapes: [batches, then 5 dims per batch], its length first
        List<Float> header = new ArrayList<>();
        long floats = 0;
        for (int k = world.rank(); k < tiles.size(); k += p) {
            header.add((float) tiles.get(k).size());
            for (Tensor batch : tiles.get(k)) {
                for (int d : batch.shape()) {                           // [1, 3, f, th, tw]
                    header.add((float) d);                           // exact: every dimension is below 2^24
                }
                floats += batch.numel();
            }
        }
        float[] lengths = new float[p];
        world.allGather(new float[]{header.size()}, lengths, ones(p));
        int[] headerCounts = new int[p];
        for (int r = 0; r < p; r++) {
            headerCounts[r] = (int) lengths[r];
        }
        float[] headers = new float[Arrays.stream(headerCounts).sum()];
        float[] mine = new float[header.size()];
        for (int i = 0; i < mine.length; i++) {
            mine[i] = header.get(i);
        }
        world.allGather(mine, headers, headerCounts);
        // 2. the floats, to rank 0 only
        int[] sendCounts = new int[p], recvCounts = new int[p];
        if (world.rank() != 0) {
            sendCounts[0] = Math.toIntExact(floats);
        }
        float[] send = new float[sendCounts[0]];
        int at = 0;
        for (int k = world.rank(); world.rank() != 0 && k < tiles.size(); k += p) {
            for (Tensor batch : tiles.get(k)) {
                System.arraycopy(batch.data(), 0, send, at, batch.numel());
                at += batch.numel();
            }
        }
        List<List<int[]>> batchShapes = new ArrayList<>();
        for (int r = 0, h = 0; r < p; r++) {
            long total = 0;
            for (int k = r; k < tiles.size(); k += p) {
                int n = (int) headers[h++];
                List<int[]> shapesOfTile = new ArrayList<>();
                for (int b = 0; b < n; b++, h += 5) {
                    int[] shape = new int[5];
                    for (int d = 0; d < 5; d++) {
                        shape[d] = (int) headers[h + d];
                    }
                    shapesOfTile.add(shape);
                    total += Arrays.stream(shape).asLongStream().reduce(1, (x, y) -> x * y);
                }
                while (batchShapes.size() <= k) {
                    batchShapes.add(null);
                }
                batchShapes.set(k, shapesOfTile);
            }
            if (world.rank() == 0 && r != 0) {
                recvCounts[r] = Math.toIntExact(total);
            }
        }
        float[] recv = new float[Arrays.stream(recvCounts).sum()];
        world.allToAll(send, sendCounts, recv, recvCounts);
        if (world.rank() != 0) {
            return;
        }
        at = 0;
        for (int r = 1; r < p; r++) {
            for (int k = r; k < tiles.size(); k += p) {
                for (int[] shape : batchShapes.get(k)) {
                    Tensor batch = Tensor.zeros(shape);
                    System.arraycopy(recv, at, batch.data(), 0, batch.numel());
                    at += batch.numel();
                    tiles.get(k).add(batch);
                }
            }
        }
    }

    private static int[] ones(int n) {
        int[] c = new int[n];
        Arrays.fill(c, 1);
        return c;
    }
}
