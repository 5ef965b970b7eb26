package dev.cogvideox.verify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cogvideox.model.transformer.Embeddings;

import java.util.Arrays;

/** {@code embeddings} cases: the function-level goldens listed in the case's {@code calls}. */
final class EmbeddingsVerifier implements ComponentVerifier {
    @Override
    public String component() {
        return "embeddings";
    }

    @Override
    public void verify(GoldenCase c, Checker checker) {
        for (JsonNode call : c.spec().path("calls")) {
            JsonNode kw = call.path("kwargs");
            JsonNode outs = call.path("outputs");
            switch (call.path("function").asText()) {
                case "get_3d_rotary_pos_embed" -> {
                    int[] grid = ints(kw.path("grid_size"));
                    boolean slice = "slice".equals(kw.path("grid_type").asText("linspace"));
                    int[] max = slice ? ints(kw.path("max_size")) : new int[]{0, 0};
                    int[][] crops = slice ? null : new int[][]{ints(kw.path("crops_coords").get(0)), ints(kw.path("crops_coords").get(1))};
                    Embeddings.RotaryTable t = Embeddings.rotary3d(kw.path("embed_dim").asInt(), crops, grid[0], grid[1],
                            kw.path("temporal_size").asInt(), slice ? Embeddings.GridType.SLICE : Embeddings.GridType.LINSPACE, max[0], max[1]);
                    checker.check(outs.get(0).asText(), t.cos());
                    checker.check(outs.get(1).asText(), t.sin());
                }
                case "get_3d_sincos_pos_embed" -> {
                    int[] spatial = ints(kw.path("spatial_size"));                      // (width, height)
                    checker.check(outs.get(0).asText(), Embeddings.sincos3d(kw.path("embed_dim").asInt(), spatial[0], spatial[1],
                            kw.path("temporal_size").asInt(), kw.path("spatial_interpolation_scale").asDouble(),
                            kw.path("temporal_interpolation_scale").asDouble()));
                }
                case "get_timestep_embedding" -> {
                    float[] t = TransformerVerifier.toFloats(c.longs(kw.path("timesteps").asText()));
                    checker.check(outs.get(0).asText(), Embeddings.timestepEmbedding(t, kw.path("embedding_dim").asInt(),
                            kw.path("flip_sin_to_cos").asBoolean(), (float) kw.path("downscale_freq_shift").asDouble()));
                }
                default -> throw new IllegalArgumentException("unknown embeddings function " + call.path("function"));
            }
        }
        int i = 0;
        for (JsonNode crop : c.spec().path("get_resize_crop_region_for_grid")) {
            int[] src = ints(crop.path("src_hw"));
            int[][] got = Embeddings.resizeCropRegionForGrid(src[0], src[1], crop.path("tgt_width").asInt(), crop.path("tgt_height").asInt());
            int[][] want = {ints(crop.path("result").get(0)), ints(crop.path("result").get(1))};
            checker.checkEquals("get_resize_crop_region_for_grid." + i++, Arrays.deepToString(want), Arrays.deepToString(got));
        }
    }

    private static int[] ints(JsonNode n) {
        int[] r = new int[n.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = n.get(i).asInt();
        }
        return r;
    }
}
