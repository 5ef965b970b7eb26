package dev.cogvideox.bench.vae;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cogvideox.io.SafetensorsWriter;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoX;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoXConfig;
import dev.cogvideox.model.vae.VaeOptions;
import dev.cogvideox.synth.RandomWeightStore;
import dev.cogvideox.synth.Variant;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;
import dev.cogvideox.tensor.onednn.OneDnnKernels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Decode time and peak resident memory of the real 2b VAE (its config, random BF16 weights the size of the published
 * fp16 file) on 720x480 latents ({@code [1, 16, F, 60, 90]}), with and without tiling.
 *
 * <p>The parent writes the VAE to a temporary {@code vae/} folder (safetensors, memory-mapped by the child exactly as
 * a downloaded checkpoint is), then runs each decode in a child JVM of its own with a fixed heap, so each peak is one
 * process's {@code VmHWM} (the kernel's high-water mark of the resident set: heap actually touched, mapped weight pages
 * read, JVM overhead). The child streams frames through a {@code FrameSink} that checks they are finite and keeps
 * nothing. Times are wall-clock per frame batch and in total, with the FLOP count of the convolutions.
 *
 * <p>Usage: {@code VaeDecodeBenchmark [latentFrames=13] [modes=tiled,untiled] [tiledXmx=3300m] [untiledXmx=14g] [workdir]}.
 * Fewer latent frames give a shorter run; from 5 on (two frame batches: the largest first batch, then a batch with
 * every conv cache in place), later batches only repeat the second batch's allocations.
 */
public final class VaeDecodeBenchmark {
    private static final double GIB = 1 << 30;

    private VaeDecodeBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--child")) {
            child(Path.of(args[1]), Integer.parseInt(args[2]), Boolean.parseBoolean(args[3]));
            return;
        }
        int frames = args.length > 0 ? Integer.parseInt(args[0]) : 13;
        List<String> modes = List.of((args.length > 1 ? args[1] : "tiled,untiled").split(","));
        String tiledXmx = args.length > 2 ? args[2] : "3300m";
        String untiledXmx = args.length > 3 ? args[3] : "14g";
        Path work = Files.createTempDirectory(args.length > 4 ? Path.of(args[4]) : Path.of(System.getProperty("java.io.tmpdir")), "vae-bench");
        try {
            long bytes = writeVae(work);
            System.out.printf("2b VAE: %.2f GiB of BF16 weights in %s%n", bytes / GIB, work);
            for (String mode : modes) {
                boolean tiled = mode.equals("tiled");
                String xmx = tiled ? tiledXmx : untiledXmx;
                List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                        "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                        "-Xmx" + xmx, "-XX:+UseG1GC", "-cp", System.getProperty("java.class.path"),
                        VaeDecodeBenchmark.class.getName(), "--child", work.toString(), Integer.toString(frames), Boolean.toString(tiled)));
                System.out.printf("== %s decode, child JVM: -Xmx%s -XX:+UseG1GC%n", mode, xmx);
                Process p = new ProcessBuilder(cmd).inheritIO().start();
                int rc = p.waitFor();
                if (rc != 0) {
                    throw new IllegalStateException(mode + " decode failed with exit code " + rc);
                }
            }
        } finally {
            try (var files = Files.walk(work)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }
    }

    /** {@code vae/config.json} and {@code vae/diffusion_pytorch_model.safetensors} of the 2b variant; returns the weight bytes. */
    private static long writeVae(Path dir) throws IOException {
        Map<String, Object> config = Variant.COGVIDEOX_2B.vaeConfig();
        Path configFile = dir.resolve("config.json");
        Files.writeString(configFile, new ObjectMapper().writeValueAsString(config));
        long bytes = 0;
        try (RandomWeightStore store = new RandomWeightStore(2024, DType.BF16)) {
            new AutoencoderKLCogVideoX(AutoencoderKLCogVideoXConfig.read(configFile), store); // asks for every weight
            SafetensorsWriter w = new SafetensorsWriter(Map.of("format", "pt"));
            for (String name : store.names()) {
                Weight weight = store.weight(name, new int[0]); // created above: the shape is not checked again
                w.add(name, DType.BF16, weight.shape(), (from, dst, n) -> weight.widen(from, dst, 0, n));
                bytes += weight.byteSize();
            }
            w.write(dir.resolve("diffusion_pytorch_model.safetensors"));
        }
        return bytes;
    }

    private static void child(Path vaeDir, int frames, boolean tiled) throws IOException {
        boolean bf16 = "bf16".equals(System.getenv("COMPUTE"));                 // bench/run-vae.sh's COMPUTE=bf16: oneDNN's convolutions
        Kernels kernels = bf16 ? OneDnnKernels.load() : Kernels.JAVA;
        System.out.println("  compute: " + (bf16 ? "bf16 (oneDNN)" : "fp32 (Java)"));
        try (AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.load(vaeDir, kernels)) {
            Random rnd = new Random(7);
            Tensor z = Tensor.zeros(1, 16, frames, 60, 90);
            for (int i = 0; i < z.numel(); i++) {
                z.data()[i] = (float) rnd.nextGaussian();
            }
            VaeOptions o = vae.defaultOptions().withTiling(tiled);
            long[] last = {System.nanoTime()};
            long t0 = last[0];
            int[] decoded = {0};
            vae.decode(z, o, RunContext.NONE, (sample, first, f) -> {
                for (float v : f.data()) {
                    if (!Float.isFinite(v)) {
                        throw new IllegalStateException("non-finite value in frames " + first + "..");
                    }
                }
                long now = System.nanoTime();
                System.out.printf("  frames %d..%d [%d x %d] after %.1f s (batch %.1f s), resident now %.2f GiB%n", first, first + f.dim(2) - 1,
                        f.dim(3), f.dim(4), (now - t0) / 1e9, (now - last[0]) / 1e9, status("VmRSS:") / GIB);
                last[0] = now;
                decoded[0] += f.dim(2);
            });
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("%s decode of %d latent frames (60x90 -> %d frames of 480x720): %.1f s; peak resident (VmHWM) %.2f GiB; "
                            + "heap max %.2f GiB%n", tiled ? "tiled" : "untiled", frames, decoded[0], seconds, status("VmHWM:") / GIB,
                    Runtime.getRuntime().maxMemory() / GIB);
        }
    }

    /** A {@code /proc/self/status} field in bytes. */
    private static long status(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new IllegalStateException("no " + field + " in /proc/self/status");
    }
}
