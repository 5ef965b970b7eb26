package dev.cogvideox.serve;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the service from plain arguments ({@code --port P --data DIR --model M ... --per-model N --max-queue N
 * --host H --token T}) until the process is stopped; prints {@code listening on URL} once it serves. The
 * command line's {@code cogvideox serve} does the same with its options; this entry point lets tests start the
 * service in a child process.
 */
public final class ServeMain {
    private ServeMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        String host = ServeConfig.DEFAULT_HOST, token = System.getenv("COGVIDEOX_TOKEN");
        int port = ServeConfig.DEFAULT_PORT, perModel = 1;
        Path data = Path.of("cogvideox-data");
        List<String> models = new ArrayList<>();
        ServeConfig.Limits d = ServeConfig.Limits.defaults();
        int maxQueue = d.maxQueue();
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--host" -> host = v;
                case "--port" -> port = Integer.parseInt(v);
                case "--data" -> data = Path.of(v);
                case "--model" -> models.add(v);
                case "--per-model" -> perModel = Integer.parseInt(v);
                case "--max-queue" -> maxQueue = Integer.parseInt(v);
                case "--token" -> token = v;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        ServeConfig.Limits limits = new ServeConfig.Limits(d.maxPromptChars(), maxQueue, d.maxUploadBytes(), d.maxSteps(), d.maxFrames(), d.maxSide());
        runUntilStopped(new ServeConfig(host, port, models, data, token, perModel, limits));
    }

    /** Starts the service, prints where, and serves until the JVM shuts down (Ctrl-C stops it cleanly). */
    public static void runUntilStopped(ServeConfig config) throws InterruptedException {
        GenerationService service = GenerationService.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stopped.countDown();
        }, "serve-shutdown"));
        System.out.println("listening on " + service.url() + " (data: " + service.dataFolder() + ")");
        System.out.flush();
        stopped.await();
    }
}
