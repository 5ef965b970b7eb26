package dev.cogvideox.verify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.SafetensorsWriter;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The harness refuses what it does not read: a copy of a passing case with one more argument, state field, call
 * keyword, tensor or an unknown function fails, naming what was left unread; the unchanged copy passes.
 */
class StrictHarnessTest {
    private static final Path FIXTURES = GoldenSuite.defaultFixtureRoot();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** A fixture root in {@code tmp} with {@code models} linked and one case copied, its JSON edited by {@code edit}. */
    private Path copy(String name, Consumer<ObjectNode> edit) throws IOException {
        Path golden = Files.createDirectories(tmp.resolve("golden"));
        if (!Files.exists(tmp.resolve("models"))) {
            Files.createSymbolicLink(tmp.resolve("models"), FIXTURES.resolve("models").toAbsolutePath());
        }
        ObjectNode spec = (ObjectNode) JSON.readTree(FIXTURES.resolve("golden/" + name + ".json").toFile());
        edit.accept(spec);
        Files.writeString(golden.resolve(name + ".json"), JSON.writeValueAsString(spec));
        Path st = FIXTURES.resolve("golden/" + name + ".safetensors");
        if (Files.exists(st)) {
            Files.copy(st, golden.resolve(name + ".safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return golden.resolve(name + ".json");
    }

    private static CaseResult run(Path json) {
        return GoldenSuite.standard().run(json);
    }

    @Test
    void anUnchangedCopyPasses() throws IOException {
        assertThat(run(copy("vae_decode_tiled_f3_8x8", s -> { })).status()).isEqualTo(CaseResult.Status.PASSED);
    }

    @Test
    void anUnreadArgumentFailsTheCaseNamingIt() throws IOException {
        CaseResult r = run(copy("vae_decode_f3_4x4", s -> ((ObjectNode) s.get("arguments")).put("num_latent_frames_batch_size", 3)));
        assertThat(r.status()).isEqualTo(CaseResult.Status.FAILED);
        assertThat(r.message()).contains("arguments/num_latent_frames_batch_size");
    }

    @Test
    void anUnknownTilingArgumentFailsWhileKnownOnesAreApplied() throws IOException {
        CaseResult r = run(copy("vae_decode_tiled_f3_8x8", s -> ((ObjectNode) s.get("arguments").get("enable_tiling")).put("tile_blend_mode", "cosine")));
        assertThat(r.status()).isEqualTo(CaseResult.Status.FAILED);
        assertThat(r.message()).contains("arguments/enable_tiling/tile_blend_mode");
        // the case's recorded 48x40 tiles are what enable_tiling() keeps; asking for 32x32 changes the result
        CaseResult other = run(copy("vae_decode_tiled_f3_8x8", s -> ((ObjectNode) s.get("arguments").get("enable_tiling"))
                .put("tile_sample_min_height", 32).put("tile_sample_min_width", 32)));
        assertThat(other.status()).isEqualTo(CaseResult.Status.FAILED);
        assertThat(other.message()).contains("vae_state.tile_sample_min_height").doesNotContain("unread");
    }

    @Test
    void anUnreadStateFieldFails() throws IOException {
        CaseResult r = run(copy("vae_decode_f5_4x4", s -> ((ObjectNode) s.get("vae_state")).put("use_framewise_decoding", true)));
        assertThat(r.status()).isEqualTo(CaseResult.Status.FAILED);
        assertThat(r.message()).contains("vae_state/use_framewise_decoding");
    }

    @Test
    void anUnknownFunctionFails() throws IOException {
        CaseResult r = run(copy("transformer_2b_b1_f3_8x8", s -> s.put("function", "CogVideoXTransformer3DModel.forward_with_cache")));
        assertThat(r.status()).isEqualTo(CaseResult.Status.FAILED);
        assertThat(r.message()).contains("forward_with_cache");
    }

    @Test
    void anUnknownCallKeywordFails() throws IOException {
        CaseResult r = run(copy("embeddings_reference", s -> ((ObjectNode) s.get("calls").get(0).get("kwargs")).put("theta", 5000)));
        assertThat(r.status()).isEqualTo(CaseResult.Status.FAILED);
        assertThat(r.message()).contains("calls/0/kwargs/theta");
    }

    @Test
    void aPipelineArgumentWithAnotherValueThanImplementedFails() throws IOException {
        CaseResult r = run(copy("pipeline_t2v_2b_ddim", s -> ((ObjectNode) s.get("arguments")).put("eta", 0.5)));
        assertThat(r.status()).isEqualTo(CaseResult.Status.FAILED);
        assertThat(r.message()).contains("arguments/eta");
    }

    @Test
    void aTensorNoVerifierReadsFails() throws IOException {
        Path json = copy("rng_torch_cpu_randn", s -> { });
        // the same tensors file with one extra input tensor
        Path st = json.resolveSibling("rng_torch_cpu_randn.safetensors");
        SafetensorsWriter w = new SafetensorsWriter(Map.of());
        try (SafetensorsFile f = SafetensorsFile.open(FIXTURES.resolve("golden/rng_torch_cpu_randn.safetensors"))) {
            for (String n : f.names()) {
                w.add(n, DType.F32, f.entry(n).toTensor());
            }
        }
        w.add("in.extra_seed_offset", DType.F32, Tensor.of(new float[] {1f}, 1));
        Files.delete(st);
        w.write(st);
        CaseResult r = run(json);
        assertThat(r.status()).isEqualTo(CaseResult.Status.FAILED);
        assertThat(r.message()).contains("tensor in.extra_seed_offset");
    }
}
