package dev.cogvideox.serve;

import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.QuantFormat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;

/**
 * How the service runs.
 *
 * @param host           address to bind; a loopback address unless a token is set
 * @param port           TCP port (0 picks a free one)
 * @param models         model specs: a diffusers folder or a hub id in the Hugging Face cache; empty = the default tiny model
 * @param data           the data folder: the job database, uploads, LoRAs and results
 * @param token          bearer token every API request must carry, or null (allowed only on a loopback address)
 * @param perModel       generations running at once per model
 * @param limits         request limits
 * @param weights        the linear layers quantized on load ({@code --weights}), or null for their stored dtype
 * @param kernels        the kernels every model runs on ({@code --compute}); null is {@link Kernels#JAVA}
 */
public record ServeConfig(String host, int port, List<String> models, Path data, String token, int perModel, Limits limits,
                          QuantFormat weights, Kernels kernels) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8188;

    /**
     * @param maxPromptChars longest prompt (or negative prompt) in characters
     * @param maxQueue       jobs waiting or running at once, over all models
     * @param maxUploadBytes largest uploaded image or video
     * @param maxSteps       most denoising steps
     * @param maxFrames      most frames
     * @param maxSide        largest height or width in pixels
     */
    public record Limits(int maxPromptChars, int maxQueue, long maxUploadBytes, int maxSteps, int maxFrames, int maxSide) {
        public Limits {
            if (maxQueue < 1) {
                throw new IllegalArgumentException("--max-queue must be at least 1, got " + maxQueue);
            }
            if (maxUploadBytes < 1) {
                throw new IllegalArgumentException("--max-upload-mb must be at least 1, got " + maxUploadBytes);
            }
        }

        public static Limits defaults() {
            return new Limits(2000, 500, 64L << 20, 500, 321, 2048);
        }
    }

    /** Stored weights on the pure-Java kernels. */
    public ServeConfig(String host, int port, List<String> models, Path data, String token, int perModel, Limits limits) {
        this(host, port, models, data, token, perModel, limits, null, Kernels.JAVA);
    }

    public ServeConfig {
        models = List.copyOf(models);
        kernels = kernels == null ? Kernels.JAVA : kernels;
        if (perModel < 1) {
            throw new IllegalArgumentException("--per-model must be at least 1, got " + perModel);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be in 0..65535, got " + port);
        }
        if (token != null && token.isBlank()) {
            token = null;
        }
        if (token == null && !isLoopback(host)) {
            throw new IllegalArgumentException("--host " + host + " is reachable from other machines: give --token (or set COGVIDEOX_TOKEN) so that "
                    + "requests must carry 'Authorization: Bearer <token>', or bind to 127.0.0.1");
        }
    }

    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--host " + host + ": unknown host", e);
        }
    }
}
