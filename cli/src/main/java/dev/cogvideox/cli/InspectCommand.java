package dev.cogvideox.cli;

import dev.cogvideox.io.GgufFile;
import dev.cogvideox.io.ModelIndex;
import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.model.text.T5EncoderModel;
import dev.cogvideox.model.text.T5Tokenizer;
import dev.cogvideox.model.transformer.CogVideoXTransformer3DModel;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoX;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.progress.ProgressBar;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Finite;
import dev.cogvideox.tensor.QuantFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code cogvideox inspect MODEL_DIR}: what a diffusers folder holds and what is wrong with it. */
@Command(name = "inspect", description = "Show the components of a CogVideoX model folder (classes, dtypes, parameters, bytes) and any problem.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "A diffusers-layout folder (with model_index.json).")
    Path dir;

    @Override
    public Integer call() {
        ModelIndex index = ModelIndex.read(dir);
        System.out.printf("%s (%s)%n", dir.toAbsolutePath(), index.pipelineClass());
        System.out.printf("%-13s %-30s %-12s %14s %12s  %s%n", "component", "class", "dtypes", "parameters", "bytes", "status");
        List<String> problems = new ArrayList<>();
        for (ModelIndex.Component c : index.components().values()) {
            Path folder = index.folder(c.name());
            if (!Files.isDirectory(folder)) {
                problems.add(c.name() + ": folder " + folder + " is missing");
                System.out.printf("%-13s %-30s %-12s %14s %12s  %s%n", c.name(), c.className(), "-", "-", "-", "MISSING");
                continue;
            }
            String status;
            String dtypes = "-";
            long params = 0, bytes = 0;
            String nonFiniteProblem = null;
            try {
                if (hasWeights(folder)) {
                    try (WeightStore s = WeightStore.open(folder)) {
                        Map<DType, Long> byType = new EnumMap<>(DType.class);
                        Map<QuantFormat, Long> byFormat = new EnumMap<>(QuantFormat.class);   // a GGUF's block-quantized tensors
                        List<String> nonFinite = new ArrayList<>();
                        for (String n : s.names()) {
                            SafetensorsFile.Entry e = s.entry(n);   // a GGUF block tensor's entry has its logical shape
                            QuantFormat format = s instanceof GgufFile g ? g.format(n) : null;
                            if (format != null) {
                                byFormat.merge(format, e.numel(), Long::sum);
                            } else {
                                byType.merge(e.dtype(), e.numel(), Long::sum);
                            }
                            bytes += e.byteSize();
                            // a block's values are its scale times small integers: a NaN or infinite scale shows in them
                            long bad = format != null || e.dtype().isFloatWeight() ? Finite.countNonFinite(s.weight(n)) : 0;
                            if (bad > 0) {
                                nonFinite.add(n + " (" + bad + " of " + e.numel() + ")");
                            }
                        }
                        if (!nonFinite.isEmpty()) {
                            nonFiniteProblem = c.name() + ": " + nonFinite.size() + " weight(s) hold NaN or infinite values, which make every "
                                    + "output NaN (a one-colour video): " + String.join(", ", nonFinite.subList(0, Math.min(10, nonFinite.size())))
                                    + (nonFinite.size() > 10 ? ", ..." : "") + "; download the files again";
                        }
                        params = byType.values().stream().mapToLong(Long::longValue).sum() + byFormat.values().stream().mapToLong(Long::longValue).sum();
                        dtypes = java.util.stream.Stream.concat(byType.keySet().stream(), byFormat.keySet().stream()).map(Enum::name)
                                .collect(Collectors.joining(","));
                    }
                }
                status = check(c, folder);
                if (nonFiniteProblem != null) {
                    status = "PROBLEM";
                    problems.add(nonFiniteProblem);
                }
            } catch (RuntimeException e) {
                status = "PROBLEM";
                problems.add(c.name() + ": " + e.getMessage());
            }
            System.out.printf("%-13s %-30s %-12s %14s %12s  %s%n", c.name(), c.className(), dtypes,
                    params == 0 ? "-" : String.format("%,d", params), bytes == 0 ? "-" : ProgressBar.bytes(bytes), status);
        }
        if (problems.isEmpty()) {
            System.out.println("no problems found");
            return 0;
        }
        System.out.println("problems:");
        problems.forEach(p -> System.out.println("  " + p));
        return 1;
    }

    private static boolean hasWeights(Path folder) {
        try (var s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString())
                    .anyMatch(f -> f.endsWith(".safetensors") || f.endsWith(".safetensors.index.json") || f.endsWith(".gguf"));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Loads what can be loaded (which checks every weight's presence and shape) and describes it. */
    private static String check(ModelIndex.Component c, Path folder) {
        return switch (c.className()) {
            case "CogVideoXTransformer3DModel" -> {
                CogVideoXTransformerConfig cfg = CogVideoXTransformerConfig.read(folder.resolve("config.json"));
                try (CogVideoXTransformer3DModel m = CogVideoXTransformer3DModel.load(folder)) {
                    yield String.format("ok: %s, %d layers, %d heads x %d", cfg.variant(), cfg.numLayers(), cfg.numAttentionHeads(), cfg.attentionHeadDim());
                }
            }
            case "AutoencoderKLCogVideoX" -> {
                try (AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.load(folder)) {
                    yield "ok: scaling " + vae.config().scalingFactor() + (vae.config().invertScaleLatents() ? " (inverted for image latents)" : "");
                }
            }
            case "T5EncoderModel" -> {
                try (T5EncoderModel t5 = T5EncoderModel.fromPretrained(folder)) {
                    yield String.format("ok: %d layers, d_model %d", t5.config().numLayers(), t5.config().dModel());
                }
            }
            case "T5Tokenizer" -> {
                T5Tokenizer.fromPretrained(folder);
                yield "ok";
            }
            case "CogVideoXDDIMScheduler", "CogVideoXDPMScheduler" -> {
                CogVideoXScheduler.fromPretrained(folder);
                yield "ok";
            }
            default -> "present (not checked)";
        };
    }
}
