package dev.cogvideox.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cogvideox.io.ModelFormatException;
import dev.cogvideox.io.ModelIndex;
import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.model.schedule.CogVideoXSchedulerConfig;
import dev.cogvideox.model.text.T5Config;
import dev.cogvideox.model.text.T5Tokenizer;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoXConfig;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Finite;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded mutations of every file format the program reads (images and videos: the video module's
 * {@code MediaFuzzTest}): each must end in a correct result (checked) or a clean
 * error (the documented exception, naming the file), never another exception or a hang. The counts are printed.
 */
class ParserFuzzTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    // ---------------------------------------------------------------- safetensors

    /** The valid file every mutation starts from: four tensors of four dtypes and metadata. */
    private record Base(ObjectNode header, byte[] data) {
        byte[] bytes() throws IOException {
            return file(JSON.writeValueAsBytes(header), data);
        }
    }

    private static byte[] file(byte[] header, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header).put(data);
        return b.array();
    }

    private static Base base(SplittableRandom rng) {
        ObjectNode h = JsonNodeFactory.instance.objectNode();
        h.putObject("__metadata__").put("format", "pt");
        ByteBuffer data = ByteBuffer.allocate(24 + 8 + 8 + 24).order(ByteOrder.LITTLE_ENDIAN);
        entry(h, "a", "F32", new int[]{2, 3}, 0, 24);
        for (int i = 0; i < 6; i++) {
            data.putFloat((float) rng.nextGaussian());
        }
        entry(h, "b", "F16", new int[]{4}, 24, 32);
        for (int i = 0; i < 4; i++) {
            data.putShort(Float.floatToFloat16((float) rng.nextGaussian()));
        }
        entry(h, "c", "BF16", new int[]{2, 2}, 32, 40);
        for (int i = 0; i < 4; i++) {
            data.putShort((short) (Float.floatToIntBits((float) rng.nextGaussian()) >>> 16));
        }
        entry(h, "d", "I64", new int[]{3}, 40, 64);
        for (int i = 0; i < 3; i++) {
            data.putLong(rng.nextLong());
        }
        return new Base(h, data.array());
    }

    private static void entry(ObjectNode h, String name, String dtype, int[] shape, long begin, long end) {
        ObjectNode e = h.putObject(name);
        e.put("dtype", dtype);
        ArrayNode s = e.putArray("shape");
        Arrays.stream(shape).forEach(s::add);
        e.putArray("data_offsets").add(begin).add(end);
    }

    private static final JsonNode[] BAD_VALUES = {
            JsonNodeFactory.instance.numberNode(-1), JsonNodeFactory.instance.numberNode(0), JsonNodeFactory.instance.numberNode(2.5),
            JsonNodeFactory.instance.numberNode(1e30), JsonNodeFactory.instance.numberNode(Long.MAX_VALUE),
            JsonNodeFactory.instance.numberNode(1L << 40), JsonNodeFactory.instance.textNode("24"), JsonNodeFactory.instance.booleanNode(true),
            JsonNodeFactory.instance.nullNode(), JsonNodeFactory.instance.arrayNode(), JsonNodeFactory.instance.objectNode(),
            JsonNodeFactory.instance.numberNode(new java.math.BigInteger("100000000000000000000000")),
    };

    private static JsonNode pick(SplittableRandom rng) {
        return BAD_VALUES[rng.nextInt(BAD_VALUES.length)];
    }

    /** One mutation of the base file, by kind. */
    private static byte[] mutate(int kind, SplittableRandom rng, Base base, float[] nonFinite) throws IOException {
        byte[] valid = base.bytes();
        int headerLen = valid.length - 8 - base.data().length;
        ObjectNode h = base.header().deepCopy();
        String[] names = {"a", "b", "c", "d"};
        ObjectNode e = (ObjectNode) h.get(names[rng.nextInt(4)]);
        switch (kind) {
            case 0 -> {                                                     // header length
                long[] lengths = {0, 1, 2, 7, headerLen - 1, headerLen + 1, valid.length, valid.length - 8, 1L << 32, -1L, Long.MAX_VALUE,
                        101L << 20, rng.nextLong()};
                ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).putLong(0, lengths[rng.nextInt(lengths.length)]);
                return valid;
            }
            case 1 -> {                                                     // bytes of the JSON flipped
                for (int i = 0, n = 1 + rng.nextInt(4); i < n; i++) {
                    valid[8 + rng.nextInt(headerLen)] = (byte) rng.nextInt(256);
                }
                return valid;
            }
            case 2 -> e.put("dtype", new String[]{"F64", "I8", "U16", "f32", "", "F32 ", "BOOL", "I32", "float"}[rng.nextInt(9)]);
            case 3 -> {                                                     // shapes
                ArrayNode s = JsonNodeFactory.instance.arrayNode();
                int dims = rng.nextInt(4);
                for (int i = 0; i < dims; i++) {
                    if (rng.nextInt(3) == 0) {
                        s.add(pick(rng));
                    } else {
                        s.add(rng.nextInt(7));
                    }
                }
                e.set("shape", rng.nextInt(6) == 0 ? pick(rng) : s);
            }
            case 4 -> {                                                     // data_offsets
                ArrayNode off = (ArrayNode) e.get("data_offsets");
                switch (rng.nextInt(5)) {
                    case 0 -> off.set(rng.nextInt(2), pick(rng));
                    case 1 -> {
                        JsonNode first = off.get(0);
                        off.set(0, off.get(1));
                        off.set(1, first);
                    }
                    case 2 -> off.add(64);
                    case 3 -> off.set(0, JsonNodeFactory.instance.numberNode(off.get(0).asLong() + 0.5));
                    default -> {
                        long shift = rng.nextInt(17) - 8;
                        off.set(0, off.get(0).asLong() + shift);
                        off.set(1, off.get(1).asLong() + shift);
                    }
                }
            }
            case 5 -> {                                                     // keys removed, added, metadata
                switch (rng.nextInt(5)) {
                    case 0 -> e.remove(new String[]{"dtype", "shape", "data_offsets"}[rng.nextInt(3)]);
                    case 1 -> e.put("unknown_key", 1);                       // must still open
                    case 2 -> h.set("__metadata__", pick(rng));
                    case 3 -> ((ObjectNode) h.get("__metadata__")).set("x", pick(rng));
                    default -> h.set(names[rng.nextInt(4)], pick(rng));
                }
            }
            case 6 -> {                                                     // a duplicate tensor name
                String json = JSON.writeValueAsString(h);
                String dup = "\"a\":" + JSON.writeValueAsString(h.get("a")) + ",";
                return file(json.replaceFirst("\\{", "{" + Matcher.quoteReplacement(dup)).getBytes(StandardCharsets.UTF_8), base.data());
            }
            case 7 -> {                                                     // truncated anywhere
                return Arrays.copyOf(valid, rng.nextInt(valid.length));
            }
            case 8 -> {                                                     // NaN and Inf values: a valid file
                byte[] data = base.data().clone();
                ByteBuffer d = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
                float v = new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}[rng.nextInt(3)];
                int which = rng.nextInt(3);
                if (which == 0) {
                    d.putFloat(4 * rng.nextInt(6), v);
                } else if (which == 1) {
                    d.putShort(24 + 2 * rng.nextInt(4), Float.floatToFloat16(v));
                } else {
                    d.putShort(32 + 2 * rng.nextInt(4), (short) (Float.floatToIntBits(v) >>> 16));
                }
                nonFinite[0] = 1;
                return file(JSON.writeValueAsBytes(h), data);
            }
            case 9 -> {                                                     // invalid UTF-8 in the header
                byte[] json = JSON.writeValueAsBytes(h);
                json[json.length / 2] = (byte) (0x80 | rng.nextInt(64));
                return file(json, base.data());
            }
            default -> {                                                    // not a safetensors file at all
                byte[] junk = new byte[rng.nextInt(200)];
                rng.nextBytes(junk);
                return junk;
            }
        }
        return file(JSON.writeValueAsBytes(h), base.data());
    }

    /**
     * The spec's rules for a header, checked independently of the reader on every file it accepted: a JSON object
     * without duplicate names whose entries have a known dtype and integer shapes and offsets.
     */
    private static void headerFollowsTheSpec(byte[] file) throws IOException {
        long len = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        JsonNode h = new ObjectMapper().enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .readTree(new String(file, 8, (int) len, StandardCharsets.UTF_8));
        for (var it = h.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            assertThat(e.getValue().path("dtype").asText()).isIn("F32", "F16", "BF16", "I64", "I32", "F64", "U8", "BOOL");
            for (String key : new String[]{"shape", "data_offsets"}) {
                e.getValue().path(key).forEach(v -> assertThat(v.isIntegralNumber() && v.asLong() >= 0).as(key + " " + v).isTrue());
            }
            assertThat(e.getValue().path("data_offsets").size()).isEqualTo(2);
        }
    }

    /** An opened file's tensors are all readable and their sizes follow from dtype and shape. */
    private static void readAll(SafetensorsFile f, boolean nonFinite) {
        long bad = 0;
        for (String n : f.names()) {
            SafetensorsFile.Entry e = f.entry(n);
            assertThat(e.byteSize()).isEqualTo(e.numel() * e.dtype().bytes());
            if (e.dtype().isFloatWeight()) {
                Tensor t = e.toTensor();
                assertThat((long) t.numel()).isEqualTo(e.numel());
                bad += Finite.countNonFinite(t);
                assertThat(Finite.countNonFinite(e.weight())).isEqualTo(Finite.countNonFinite(t));
            } else if (e.dtype() == DType.I64) {
                assertThat((long) e.longs().length).isEqualTo(e.numel());
            }
        }
        assertThat(bad).as("non-finite values found").isEqualTo(nonFinite ? 1 : 0);
    }

    @Test
    void safetensorsMutations() throws IOException {
        SplittableRandom rng = new SplittableRandom(23);
        Base base = base(rng);
        try (Fuzz fuzz = new Fuzz("safetensors", ModelFormatException.class)) {
            for (int i = 0; i < 520; i++) {
                int kind = i % 11;
                float[] nonFinite = {0};
                byte[] bytes = mutate(kind, rng, base, nonFinite);
                Path file = tmp.resolve("st-" + i + ".safetensors");
                Files.write(file, bytes);
                fuzz.run("safetensors mutation " + i + " (kind " + kind + ")", file.toString(), () -> {
                    try (SafetensorsFile f = SafetensorsFile.open(file)) {
                        readAll(f, nonFinite[0] != 0);
                    }
                    headerFollowsTheSpec(bytes);
                });
                Files.delete(file);
            }
            System.out.println(fuzz.summary());
            assertThat(fuzz.failures).isEmpty();
            assertThat(fuzz.total()).isGreaterThanOrEqualTo(500);
            assertThat(fuzz.refused).as("most mutations are refused").isGreaterThan(250);
        }
    }

    // ---------------------------------------------------------------- configs

    private record ConfigCase(String relative, Consumer<Path> reader) {
    }

    @Test
    void configMutations() throws IOException {
        Path model = tmp.resolve("model");
        copyTree(MODEL, model, p -> !p.toString().endsWith(".safetensors") && !p.toString().endsWith("spiece.model"));
        List<ConfigCase> cases = List.of(
                new ConfigCase("transformer/config.json", CogVideoXTransformerConfig::read),
                new ConfigCase("vae/config.json", AutoencoderKLCogVideoXConfig::read),
                new ConfigCase("scheduler/scheduler_config.json", CogVideoXSchedulerConfig::read),
                new ConfigCase("text_encoder/config.json", T5Config::read),
                new ConfigCase("model_index.json", f -> ModelIndex.read(f.getParent())));
        SplittableRandom rng = new SplittableRandom(2323);
        try (Fuzz fuzz = new Fuzz("configs", ModelFormatException.class)) {
            int unknownAccepted = 0;
            for (int i = 0; i < 200; i++) {
                ConfigCase c = cases.get(i % cases.size());
                Path file = model.resolve(c.relative());
                byte[] original = Files.readAllBytes(MODEL.resolve(c.relative()));
                ObjectNode json = (ObjectNode) JSON.readTree(original);
                List<String> keys = new ArrayList<>();
                json.fieldNames().forEachRemaining(keys::add);
                String key = keys.get(rng.nextInt(keys.size()));
                int kind = rng.nextInt(8);
                byte[] mutated = switch (kind) {
                    case 0, 1, 2 -> JSON.writeValueAsBytes(json.set(key, configValue(rng)));
                    case 3 -> {
                        json.remove(key);
                        yield JSON.writeValueAsBytes(json);
                    }
                    case 4 -> JSON.writeValueAsBytes(json.put("some_future_key_" + i, rng.nextInt()));
                    case 5 -> Arrays.copyOf(original, rng.nextInt(original.length));
                    case 6 -> {
                        byte[] b = original.clone();
                        b[rng.nextInt(b.length)] = (byte) (rng.nextBoolean() ? 0xC3 : rng.nextInt(256));
                        yield b;
                    }
                    default -> "[1, 2, 3]".getBytes(StandardCharsets.UTF_8);
                };
                Files.write(file, mutated);
                boolean unknown = kind == 4;
                if (unknown) {
                    unknownAccepted++;
                }
                fuzz.run("config mutation " + i + " of " + c.relative() + " (kind " + kind + ", key " + key + ")", file.toString(), () -> {
                    try {
                        c.reader().accept(file);
                    } catch (ModelFormatException e) {
                        assertThat(unknown).as("an unknown key is accepted, but: " + e.getMessage()).isFalse();
                        throw e;
                    }
                });
                Files.write(file, original);
            }
            System.out.println(fuzz.summary());
            assertThat(fuzz.failures).isEmpty();
            assertThat(fuzz.total()).isGreaterThanOrEqualTo(200);
            assertThat(fuzz.accepted).isGreaterThanOrEqualTo(unknownAccepted);
        }
    }

    private static JsonNode configValue(SplittableRandom rng) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        JsonNode[] values = {f.numberNode(0), f.numberNode(-1), f.numberNode(1_000_000_000), f.numberNode(1e9), f.numberNode(100_000),
                f.numberNode(-1e-5), f.numberNode(0.5), f.numberNode(1e308), f.numberNode(Integer.MAX_VALUE), f.numberNode(Long.MAX_VALUE),
                f.textNode("UNet2DConditionModel"), f.textNode(""), f.nullNode(), f.booleanNode(false), f.arrayNode(), f.objectNode(),
                f.arrayNode().add(0).add(-1), f.arrayNode().add("diffusers").add("UNet2DConditionModel"), f.numberNode(3), f.numberNode(7)};
        return values[rng.nextInt(values.length)];
    }

    // ---------------------------------------------------------------- spiece.model

    @Test
    void sentencePieceMutations() throws IOException {
        Path dir = tmp.resolve("tokenizer");
        copyTree(MODEL.resolve("tokenizer"), dir, p -> true);
        byte[] original = Files.readAllBytes(MODEL.resolve("tokenizer/spiece.model"));
        Path file = dir.resolve("spiece.model");
        SplittableRandom rng = new SplittableRandom(523);
        try (Fuzz fuzz = new Fuzz("spiece.model", ModelFormatException.class)) {
            for (int i = 0; i < 100; i++) {
                byte[] b = original.clone();
                switch (i % 5) {
                    case 0 -> {
                        for (int k = 0, n = 1 + rng.nextInt(8); k < n; k++) {
                            b[rng.nextInt(b.length)] = (byte) rng.nextInt(256);
                        }
                    }
                    case 1 -> b = Arrays.copyOf(b, rng.nextInt(b.length));
                    case 2 -> {
                        int at = rng.nextInt(b.length - 10);
                        Arrays.fill(b, at, at + 1 + rng.nextInt(10), (byte) 0xFF);    // endless varints
                    }
                    case 3 -> {
                        int at = rng.nextInt(b.length);
                        byte[] ins = new byte[1 + rng.nextInt(16)];
                        rng.nextBytes(ins);
                        byte[] out = new byte[b.length + ins.length];
                        System.arraycopy(b, 0, out, 0, at);
                        System.arraycopy(ins, 0, out, at, ins.length);
                        System.arraycopy(b, at, out, at + ins.length, b.length - at);
                        b = out;
                    }
                    default -> {
                        b = new byte[rng.nextInt(64)];
                        rng.nextBytes(b);
                    }
                }
                Files.write(file, b);
                fuzz.run("spiece.model mutation " + i, file.toString(), () -> {
                    T5Tokenizer t = T5Tokenizer.fromPretrained(dir);
                    T5Tokenizer.Encoding e = t.encode("A lighthouse at dusk, 42 waves; naïve ünïcödé 灯台", 16);
                    assertThat(e.inputIds()).hasSize(16);
                    assertThat(Arrays.stream(e.inputIds()).allMatch(id -> id >= 0 && id < t.size())).as("ids within the vocabulary").isTrue();
                });
            }
            System.out.println(fuzz.summary());
            assertThat(fuzz.failures).isEmpty();
            assertThat(fuzz.total()).isEqualTo(100);
        }
    }

    private static void copyTree(Path from, Path to, java.util.function.Predicate<Path> include) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (include.test(p)) {
                    Files.copy(p, target);
                }
            }
        }
    }
}
