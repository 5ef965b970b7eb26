package dev.cogvideox.verify;

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
        if (!c.function().equals("diffusers.models.embeddings helpers") || c.arguments().present() && c.arguments().size() > 0) {
            throw new IllegalArgumentException("embeddings case: expected the helpers listed in calls, with no arguments of its own");
        }
        for (SpecNode call : c.read("calls")) {
            SpecNode kw = call.get("kwargs");
            SpecNode outs = call.get("outputs");
            switch (call.get("function").asText()) {
                case "get_3d_rotary_pos_embed" -> {
                    int[] grid = ints(kw.get("grid_size"));
                    boolean slice = "slice".equals(kw.get("grid_type").asText("linspace"));
                    int[] max = slice ? ints(kw.get("max_size")) : new int[]{0, 0};
                    SpecNode cropsNode = kw.get("crops_coords");
                    int[][] crops = cropsNode.hasValue() ? new int[][]{ints(cropsNode.at(0)), ints(cropsNode.at(1))} : null;
                    Embeddings.RotaryTable t = Embeddings.rotary3d(kw.get("embed_dim").asInt(), crops, grid[0], grid[1],
                            kw.get("temporal_size").asInt(), slice ? Embeddings.GridType.SLICE : Embeddings.GridType.LINSPACE, max[0], max[1]);
                    checker.check(outs.at(0).asText(), t.cos());
                    checker.check(outs.at(1).asText(), t.sin());
                }
                case "get_3d_sincos_pos_embed" -> {
                    Implemented.oneOf(kw.get("output_type"), "pt");
                    int[] spatial = ints(kw.get("spatial_size"));                      // (width, height)
                    checker.check(outs.at(0).asText(), Embeddings.sincos3d(kw.get("embed_dim").asInt(), spatial[0], spatial[1],
                            kw.get("temporal_size").asInt(), kw.get("spatial_interpolation_scale").asDouble(),
                            kw.get("temporal_interpolation_scale").asDouble()));
                }
                case "get_timestep_embedding" -> {
                    Implemented.oneOf(kw.get("scale"), 1);              // the transformer's values, fixed in Embeddings
                    Implemented.oneOf(kw.get("max_period"), 10000);
                    float[] t = TransformerCaseInputs.toFloats(c.longs(kw.get("timesteps").asText()));
                    checker.check(outs.at(0).asText(), Embeddings.timestepEmbedding(t, kw.get("embedding_dim").asInt(),
                            kw.get("flip_sin_to_cos").asBoolean(), (float) kw.get("downscale_freq_shift").asDouble()));
                }
                default -> throw new IllegalArgumentException("unknown embeddings function " + call.get("function").asText());
            }
        }
        int i = 0;
        for (SpecNode crop : c.read("get_resize_crop_region_for_grid")) {
            int[] src = ints(crop.get("src_hw"));
            int[][] got = Embeddings.resizeCropRegionForGrid(src[0], src[1], crop.get("tgt_width").asInt(), crop.get("tgt_height").asInt());
            int[][] want = {ints(crop.get("result").at(0)), ints(crop.get("result").at(1))};
            checker.checkEquals("get_resize_crop_region_for_grid." + i++, Arrays.deepToString(want), Arrays.deepToString(got));
        }
    }

    private static int[] ints(SpecNode n) {
        int[] r = new int[n.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = n.at(i).asInt();
        }
        return r;
    }
}
