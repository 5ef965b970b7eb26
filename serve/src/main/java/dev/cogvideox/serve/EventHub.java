package dev.cogvideox.serve;

import io.javalin.http.sse.SseClient;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * The server-sent event streams: every open stream, each following one job or all of them. A change of a job
 * goes out as one {@code job} event whose data is the job as {@code GET /api/jobs/{id}} shows it; a deleted job
 * as a {@code deleted} event with its id.
 */
final class EventHub {
    /** Each stream with the job it follows ("" for all jobs). */
    private final Map<SseClient, String> clients = new ConcurrentHashMap<>();
    /** Sends happen here, so a slow reader never holds up a generation. */
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "events");
        t.setDaemon(true);
        return t;
    });

    void add(SseClient client, String jobId) {
        clients.put(client, jobId == null ? "" : jobId);
        client.onClose(() -> clients.remove(client));
    }

    void publish(String jobId, String event, String data) {
        if (sender.isShutdown()) {
            return;                                     // stopping: the streams are closed already
        }
        try {
            sender.execute(() -> clients.forEach((client, follows) -> {
                if (follows.isEmpty() || follows.equals(jobId)) {
                    send(client, event, data);
                }
            }));
        } catch (RejectedExecutionException e) {
            // shut down between the check and the call: nothing to send to
        }
    }

    /** Sends to one stream; several job threads may send to the same stream at once. */
    static void send(SseClient client, String event, String data) {
        synchronized (client) {
            if (!client.terminated()) {
                client.sendEvent(event, data);
            }
        }
    }

    void closeAll() {
        sender.shutdownNow();
        clients.keySet().forEach(c -> {
            synchronized (c) {
                if (!c.terminated()) {
                    c.close();
                }
            }
        });
        clients.clear();
    }
}
