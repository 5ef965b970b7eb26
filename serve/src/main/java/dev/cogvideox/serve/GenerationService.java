package dev.cogvideox.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cogvideox.io.video.MediaReader;
import dev.cogvideox.pipeline.GenerationDefaults;
import io.javalin.Javalin;
import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code cogvideox serve}: the job store, the runner and the HTTP API with the web page, started together and
 * stopped together. On start, jobs a previous process left running (it was killed) go back to the queue to run
 * again, once; a job interrupted twice is marked {@code interrupted} with the reason. Queued jobs then run in
 * submission order.
 */
public final class GenerationService implements AutoCloseable {
    /** The longest JSON body taken (a job's settings). */
    static final long MAX_JSON_BYTES = 1 << 20;
    /** Progress events of one job are sent at most this often (state changes always go out). */
    private static final long EVENT_INTERVAL_MILLIS = 100;

    private final ServeConfig config;
    private final ObjectMapper json = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    private final DataFolder data;
    private final ModelRegistry models;
    private final JobStore store;
    private final JobRunner runner;
    private final EventHub events = new EventHub();
    private final Map<String, Long> lastEvent = new ConcurrentHashMap<>();
    private final Javalin http;

    private GenerationService(ServeConfig config) {
        this.config = config;
        this.data = new DataFolder(config.data());
        this.models = new ModelRegistry(config.models(), config.weights(), config.kernels());
        this.store = new JobStore(data.database(), json);
        this.runner = new JobRunner(store, models, data, config.perModel(), System::currentTimeMillis, this::changed);
        this.http = HttpApi.create(this);
    }

    /** Opens the data folder and the models, recovers the jobs of an earlier run, and starts serving. */
    public static GenerationService start(ServeConfig config) {
        GenerationService s = new GenerationService(config);
        try {
            s.recover();
            s.http.start(config.host(), config.port());
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** The port it listens on (the chosen one when the config said 0). */
    public int port() {
        return http.port();
    }

    /** The address of the web page. */
    public String url() {
        String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        return "http://" + host + ":" + port() + "/";
    }

    public Path dataFolder() {
        return data.root();
    }

    private void recover() {
        long now = System.currentTimeMillis();
        for (Job j : store.list(Job.State.RUNNING)) {
            if (j.attempts() >= 2) {
                store.finish(j.id(), Job.State.INTERRUPTED, now, "the service stopped while this job ran, twice (" + j.attempts()
                        + " attempts); it is not run again: submit it anew to retry", 0);
            } else {
                store.requeue(j.id(), "the service stopped while this job ran; it runs again from the start");
            }
            data.deleteJob(j.id());
        }
        for (Job j : store.list(Job.State.QUEUED)) {
            if (!models.has(j.model())) {
                store.finish(j.id(), Job.State.FAILED, now, "model " + j.model() + " is not served by this service now (it runs "
                        + models.names() + "); start it with --model " + j.model() + " and submit again", 0);
            } else {
                runner.enqueue(j);
            }
        }
    }

    // ---- operations behind the API ----

    Map<String, Object> submit(JobSettings request) {
        if (request == null) {
            throw ApiException.badRequest(null, "the body must be a JSON object with the job's settings, e.g. {\"prompt\": \"a cat\"}");
        }
        JobSettings settings = request.complete(models, config.limits(), data);
        Job job;
        synchronized (this) {                           // the count and the insert as one step
            int active = store.activeCount();
            if (active >= config.limits().maxQueue()) {
                throw new ApiException(429, "the queue is full (" + active + " jobs waiting or running, at most " + config.limits().maxQueue()
                        + "); try again when some have finished");
            }
            job = store.insert(UUID.randomUUID().toString().replace("-", ""), settings, System.currentTimeMillis());
        }
        changed(job.id(), true);                        // the queued event goes out before the job can start
        runner.enqueue(job);
        return view(job, store.queuePosition(job));
    }

    List<Map<String, Object>> list(String state) {
        Job.State filter = null;
        if (state != null && !state.isBlank()) {
            try {
                filter = Job.State.valueOf(state.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("state", "state '" + state + "': one of queued, running, succeeded, failed, cancelled, interrupted");
            }
        }
        List<Job> jobs = store.list(filter);
        Map<String, Integer> positions = queuePositions(filter == null || filter == Job.State.QUEUED ? jobs : store.list(Job.State.QUEUED));
        List<Map<String, Object>> out = new ArrayList<>();
        for (Job j : jobs) {
            out.add(view(j, positions.get(j.id())));
        }
        return out;
    }

    Map<String, Object> get(String id) {
        Job j = job(id);
        return view(j, store.queuePosition(j));
    }

    Map<String, Object> cancel(String id) {
        Job j = job(id);
        if (j.state().finished()) {
            throw ApiException.conflict("job " + id + " has already " + (j.state() == Job.State.SUCCEEDED ? "succeeded" : "ended (" + j.state().key() + ")")
                    + "; there is nothing to cancel (DELETE /api/jobs/" + id + " removes it)");
        }
        if (!store.cancelQueued(id, System.currentTimeMillis())) {
            runner.cancel(id);                          // running: it stops at the next block and records itself
        }
        changed(id, true);
        return get(id);
    }

    void delete(String id) {
        Job j = job(id);
        if (j.state() == Job.State.RUNNING) {
            throw ApiException.conflict("job " + id + " is running; cancel it first (POST /api/jobs/" + id + "/cancel), then delete it");
        }
        if (j.state() == Job.State.QUEUED) {
            store.cancelQueued(id, System.currentTimeMillis());
        }
        store.delete(id);
        data.deleteJob(id);
        lastEvent.remove(id);
        events.publish(id, "deleted", "{\"id\":\"" + id + "\"}");
    }

    /** A result file of a succeeded job. */
    Path result(String id, String file) {
        Job j = job(id);
        if (j.state() != Job.State.SUCCEEDED) {
            throw ApiException.conflict("job " + id + " is " + j.state().key() + "; its results exist once it has succeeded");
        }
        Path p = data.job(id).resolve(file);
        if (!Files.isRegularFile(p)) {
            throw ApiException.notFound("job " + id + " has no " + file);
        }
        return p;
    }

    /** An upload's body, opened once its type and declared size are accepted. */
    @FunctionalInterface
    interface Body {
        InputStream open() throws IOException;
    }

    /** Stores an uploaded image or video after checking that it decodes; returns its name for a job's image or video field. */
    Map<String, Object> upload(Body upload, String contentType, long declaredLength) {
        String ext = switch (contentType == null ? "" : contentType.toLowerCase(Locale.ROOT).split(";")[0].trim()) {
            case "image/png" -> "png";
            case "image/jpeg" -> "jpg";
            case "image/gif" -> "gif";
            case "video/mp4" -> "mp4";
            default -> throw new ApiException(415, "Content-Type '" + contentType + "': upload a PNG or JPEG image (image/png, image/jpeg) "
                    + "or a GIF or MP4 video (image/gif, video/mp4) as the raw request body");
        };
        long max = config.limits().maxUploadBytes();
        if (declaredLength > max) {
            throw new ApiException(413, "upload of " + declaredLength + " bytes: at most " + max + " bytes are taken");
        }
        String name = UUID.randomUUID().toString().replace("-", "") + "." + ext;
        Path tmp = data.uploads().resolve("." + name + ".part");
        try {
            try (OutputStream out = Files.newOutputStream(tmp); InputStream body = upload.open()) {
                byte[] buf = new byte[1 << 16];
                long total = 0;
                for (int n; (n = body.read(buf)) > 0; ) {
                    total += n;
                    if (total > max) {
                        throw new ApiException(413, "upload larger than " + max + " bytes: at most " + max + " bytes are taken");
                    }
                    out.write(buf, 0, n);
                }
                if (total == 0) {
                    throw ApiException.badRequest(null, "the upload is empty: send the file as the request body");
                }
            }
            int frames;
            try {
                frames = ext.equals("png") || ext.equals("jpg") ? 1 : MediaReader.readVideo(tmp).dim(0);
                if (frames == 1 && (ext.equals("png") || ext.equals("jpg"))) {
                    MediaReader.readImage(tmp);
                }
            } catch (RuntimeException e) {
                throw ApiException.badRequest(null, "the upload is not a readable " + ext.toUpperCase(Locale.ROOT) + " file (it does not decode as the Content-Type says)");
            }
            Path file = data.uploads().resolve(name);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("bytes", Files.size(file));
            m.put("frames", frames);
            return m;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store the upload: " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                // a leftover hidden .part file only
            }
        }
    }

    /** The models with their defaults and the limits the form shows. */
    List<Map<String, Object>> models() {
        List<Map<String, Object>> out = new ArrayList<>();
        ServeConfig.Limits l = config.limits();
        for (ModelRegistry.Model m : models.all()) {
            GenerationDefaults g = m.defaults();
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("frames", g.frames());
            d.put("height", g.height());
            d.put("width", g.width());
            d.put("steps", g.steps());
            d.put("guidance", g.guidance());
            d.put("dynamicCfg", g.dynamicCfg());
            d.put("seed", 42);
            d.put("fps", g.fps());
            d.put("strength", 0.8);
            Map<String, Object> lim = new LinkedHashMap<>();
            lim.put("frameStep", g.frameStep());
            lim.put("maxFrames", l.maxFrames());
            lim.put("sizeMultiple", 16);
            lim.put("maxSide", l.maxSide());
            lim.put("maxSteps", l.maxSteps());
            lim.put("maxPromptChars", l.maxPromptChars());
            lim.put("maxTextTokens", g.maxSequenceLength());
            lim.put("maxUploadBytes", l.maxUploadBytes());
            lim.put("maxQueue", l.maxQueue());
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", m.name());
            e.put("variant", m.variant());
            e.put("imageToVideo", m.imageToVideo());
            e.put("defaults", d);
            e.put("limits", lim);
            out.add(e);
        }
        return out;
    }

    EventHub events() {
        return events;
    }

    ObjectMapper json() {
        return json;
    }

    ServeConfig config() {
        return config;
    }

    private Job job(String id) {
        data.job(id);                                   // the id's form, before it reaches the database
        return store.get(id).orElseThrow(() -> ApiException.notFound("no job '" + id + "'"));
    }

    private static Map<String, Integer> queuePositions(List<Job> jobs) {
        Map<String, Integer> pos = new HashMap<>();
        Map<String, Integer> perModel = new HashMap<>();
        for (Job j : jobs) {
            if (j.state() == Job.State.QUEUED) {
                pos.put(j.id(), perModel.merge(j.model(), 1, Integer::sum));
            }
        }
        return pos;
    }

    /** A job as the API shows it. */
    private Map<String, Object> view(Job j, Integer queuePosition) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", j.id());
        m.put("seq", j.seq());
        m.put("model", j.model());
        m.put("state", j.state().key());
        m.put("settings", j.settings());
        m.put("createdAt", j.createdAt());
        m.put("startedAt", j.startedAt());
        m.put("finishedAt", j.finishedAt());
        m.put("attempts", j.attempts());
        if (j.error() != null) {
            m.put("error", j.error());
        }
        if (j.note() != null) {
            m.put("note", j.note());
        }
        if (queuePosition != null) {
            m.put("queuePosition", queuePosition);
        }
        JobRunner.Running r = j.state() == Job.State.RUNNING ? runner.running(j.id()) : null;
        if (r != null) {
            m.put("progress", r.progress().snapshot());
        }
        if (j.state() == Job.State.SUCCEEDED) {
            m.put("frames", j.frames());
            String base = "/api/jobs/" + j.id() + "/";
            m.put("results", Map.of("mp4", base + "video.mp4", "gif", base + "video.gif", "poster", base + "poster.png"));
        }
        return m;
    }

    /** A job changed: its event goes out (progress-only changes at most every {@link #EVENT_INTERVAL_MILLIS}). */
    private void changed(String id, boolean stateChanged) {
        long now = System.currentTimeMillis();
        Long last = lastEvent.get(id);
        if (!stateChanged && last != null && now - last < EVENT_INTERVAL_MILLIS) {
            return;
        }
        Job j = store.get(id).orElse(null);
        if (j == null) {
            return;
        }
        lastEvent.put(id, now);
        try {
            events.publish(id, "job", json.writeValueAsString(view(j, store.queuePosition(j))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        events.closeAll();                              // the streams first: a stopped server cannot end them
        if (http != null) {
            http.stop();
        }
        runner.close();
        store.close();
    }
}
