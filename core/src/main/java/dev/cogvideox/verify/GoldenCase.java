package dev.cogvideox.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cogvideox.io.ModelFormatException;
import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One golden case: its JSON description and (when present) its tensors file. Inputs are read with
 * {@link #tensor}/{@link #longs} and {@link #read}; the case owns the mapped tensors file until {@link #close()}.
 *
 * <p>Reads are recorded: {@link #unread} names every input the verifier did not take (a tensor, or a leaf of the
 * sections {@link #INPUT_SECTIONS} and {@code *_state}), and the suite fails such a case rather than pass it on a
 * partial reading. Descriptive sections ({@code description}, {@code notes}, {@code reference}, {@code tolerance},
 * {@code comparisons}, statistics) are not inputs.
 */
public final class GoldenCase implements AutoCloseable {
    private final Path json;
    private final JsonNode spec;
    private final SafetensorsFile tensors;
    private final Set<String> touched = new HashSet<>();
    private final Set<String> tensorsRead = new HashSet<>();

    /** Top-level keys whose every leaf is an input (besides keys ending in {@code _state} or {@code _subfolder}). */
    static final List<String> INPUT_SECTIONS = List.of("function", "arguments", "calls", "entries", "vocab");

    private GoldenCase(Path json, JsonNode spec, SafetensorsFile tensors) {
        this.json = json;
        this.spec = spec;
        this.tensors = tensors;
    }

    public static GoldenCase open(Path json) {
        JsonNode spec;
        try {
            spec = new ObjectMapper().readTree(Files.readString(json));
        } catch (IOException e) {
            throw new ModelFormatException(json + ": cannot read case: " + e.getMessage(), e);
        }
        String base = json.getFileName().toString().replaceFirst("\\.json$", "");
        Path st = json.resolveSibling(base + ".safetensors");
        return new GoldenCase(json, spec, Files.isRegularFile(st) ? SafetensorsFile.open(st) : null);
    }

    public String name() {
        return spec.path("case").asText(json.getFileName().toString());
    }

    public String component() {
        return spec.path("component").asText("");
    }

    /** The top-level key {@code key} as a read-tracking node. */
    public SpecNode read(String key) {
        return new SpecNode(spec.get(key), key, touched);
    }

    /** {@code arguments}: the call's arguments as the reference passed them. */
    public SpecNode arguments() {
        return read("arguments");
    }

    /** {@code function}: what the reference called (read, so a verifier must look at it). */
    public String function() {
        return read("function").asText("");
    }

    /**
     * Inputs the verifier has not read: JSON leaves of the input sections ({@code section/key/...}) and tensors
     * ({@code tensor in.x}). Call after the verifier ran.
     */
    public List<String> unread() {
        List<String> out = new ArrayList<>();
        spec.fieldNames().forEachRemaining(key -> {
            if (INPUT_SECTIONS.contains(key) || key.endsWith("_state") || key.endsWith("_subfolder")) {
                SpecNode.unreadLeaves(spec.get(key), key, touched, out);
            }
        });
        if (tensors != null) {
            for (String name : tensors.names()) {
                if (!tensorsRead.contains(name)) {
                    out.add("tensor " + name);
                }
            }
        }
        return out;
    }

    public Path jsonPath() {
        return json;
    }

    /** The fixture root: the folder that holds {@code golden/}. */
    public Path fixtureRoot() {
        return json.toAbsolutePath().getParent().getParent();
    }

    /** The model folder of the case, or null for pure-function cases. */
    public Path modelDir() {
        JsonNode m = spec.get("model_dir");
        return m == null || m.isNull() ? null : fixtureRoot().resolve(m.asText());
    }

    public boolean has(String name) {
        return tensors != null && tensors.has(name);
    }

    public Tensor tensor(String name) {
        Tensor t = file().entry(name).toTensor();
        tensorsRead.add(name);
        return t;
    }

    public long[] longs(String name) {
        long[] v = file().entry(name).longs();
        tensorsRead.add(name);
        return v;
    }

    /** Names of the stored tensors that start with {@code prefix}, in file order. */
    public List<String> names(String prefix) {
        return tensors == null ? List.of() : tensors.names().stream().filter(n -> n.startsWith(prefix)).toList();
    }

    public SafetensorsFile file() {
        if (tensors == null) {
            throw new ModelFormatException(json + ": this case has no tensors file");
        }
        return tensors;
    }

    /**
     * Tolerance for one output: the per-tensor entry if present, else the case-level one. Cases write it as
     * {@code max_abs}/{@code max_rel}, or (the text-side cases) {@code atol}/{@code rtol}, possibly under
     * {@code embeds}; a case without any float tolerance compares exactly.
     */
    public Tolerance tolerance(String output) {
        JsonNode tol = spec.path("tolerance");
        JsonNode per = tol.path("per_tensor").path(output);
        JsonNode caseLevel = tol.has("embeds") ? tol.path("embeds") : tol;
        return new Tolerance(first(per, caseLevel, "max_abs", "atol"), first(per, caseLevel, "max_rel", "rtol"));
    }

    private static double first(JsonNode per, JsonNode caseLevel, String key, String alias) {
        for (JsonNode n : new JsonNode[]{per, caseLevel}) {
            if (n.has(key)) {
                return n.get(key).asDouble();
            }
            if (n.has(alias)) {
                return n.get(alias).asDouble();
            }
        }
        return 0;
    }

    @Override
    public void close() {
        if (tensors != null) {
            tensors.close();
        }
    }
}
