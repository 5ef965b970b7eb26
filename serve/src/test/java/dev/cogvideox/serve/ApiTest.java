package dev.cogvideox.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The JSON job API over a real HTTP client on loopback, with two fixture models (text-to-video and image-to-video). */
class ApiTest {
    static final String T2V = "tiny-cogvideox-2b", I2V = "tiny-cogvideox-5b-i2v";
    /** A job that would take minutes: cancelled in every test that submits it. */
    static final String LONG = "\"frames\":49,\"height\":256,\"width\":256,\"steps\":500";

    @TempDir
    static Path data;
    static TestService s;

    @BeforeAll
    static void start() {
        s = TestService.start(data, null, 100, T2V, I2V);
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    static String submit(String json) {
        return submitTo(s, json);
    }

    static String submitTo(TestService service, String json) {
        TestService.Reply r = service.post("/api/jobs", json);
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.json().path("id").asText();
    }

    @Test
    void aJobRunsAndServesItsVideoGifAndPoster() throws Exception {
        TestService.Reply r = s.post("/api/jobs", "{\"model\":\"" + T2V + "\",\"prompt\":\"a cat\",\"steps\":3}");
        assertThat(r.status()).isEqualTo(201);
        JsonNode settings = r.json().path("settings");
        // the model's defaults filled in, as generate would use them
        assertThat(settings.path("frames").asInt()).isEqualTo(9);
        assertThat(settings.path("height").asInt()).isEqualTo(64);
        assertThat(settings.path("guidance").asDouble()).isEqualTo(6.0);
        assertThat(settings.path("seed").asLong()).isEqualTo(42);
        String id = r.json().path("id").asText();
        JsonNode done = s.await(id, TestService::finished, Duration.ofSeconds(60));
        assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("succeeded");
        assertThat(done.path("frames").asInt()).isEqualTo(9);
        assertThat(done.path("startedAt").asLong()).isBetween(done.path("createdAt").asLong(), done.path("finishedAt").asLong());
        assertThat(s.get("/api/jobs").json().findValuesAsText("id")).contains(id);

        byte[] mp4 = s.get("/api/jobs/" + id + "/video.mp4").raw().body();
        assertThat(new String(mp4, 4, 4, StandardCharsets.ISO_8859_1)).isEqualTo("ftyp");
        TestService.Reply part = s.send("GET", "/api/jobs/" + id + "/video.mp4", null, null, "Range", "bytes=100-199");
        assertThat(part.status()).isEqualTo(206);
        // the range from 100 on (Javalin sends up to the end or a chunk of it, and says which), the bytes of the whole file there
        String range = part.raw().headers().firstValue("Content-Range").orElseThrow();
        assertThat(range).matches("bytes 100-\\d+/" + mp4.length);
        int last = Integer.parseInt(range.substring("bytes 100-".length(), range.indexOf('/')));
        assertThat(last).isGreaterThanOrEqualTo(199);
        assertThat(part.raw().body()).isEqualTo(Arrays.copyOfRange(mp4, 100, last + 1));
        byte[] gif = s.get("/api/jobs/" + id + "/video.gif").raw().body();
        assertThat(new String(gif, 0, 3, StandardCharsets.ISO_8859_1)).isEqualTo("GIF");
        BufferedImage poster = ImageIO.read(new ByteArrayInputStream(s.get("/api/jobs/" + id + "/poster.png").raw().body()));
        assertThat(poster.getWidth()).isEqualTo(64);
        assertThat(poster.getHeight()).isEqualTo(64);

        assertThat(s.delete("/api/jobs/" + id).status()).isEqualTo(204);
        assertThat(s.get("/api/jobs/" + id).status()).isEqualTo(404);
        assertThat(data.resolve("jobs").resolve(id)).doesNotExist();
    }

    @Test
    void progressArrivesAsServerSentEvents() throws Exception {
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        HttpRequest req = HttpRequest.newBuilder(URI.create(s.base + "/api/events")).header("Accept", "text/event-stream").build();
        CompletableFuture<HttpResponse<Stream<String>>> stream = s.http.sendAsync(req, HttpResponse.BodyHandlers.ofLines());
        HttpResponse<Stream<String>> events = stream.get();
        assertThat(events.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        Thread reader = Thread.ofVirtual().start(() -> events.body().forEach(lines::add));
        // the stream's headers come before the service has registered it: its first comment says it has
        long until = System.nanoTime() + 10_000_000_000L;
        while (List.copyOf(lines).stream().noneMatch(l -> l.startsWith(":")) && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        String id = submit("{\"model\":\"" + T2V + "\",\"prompt\":\"a dog\",\"frames\":25,\"height\":128,\"width\":128,\"steps\":60}");
        s.await(id, TestService::finished, Duration.ofSeconds(90));
        // the job's last event reaches the stream after the job has finished: wait for it (a loaded machine may take a while)
        until = System.nanoTime() + 30_000_000_000L;
        while (List.copyOf(lines).stream().noneMatch(l -> l.startsWith("data:") && l.contains(id) && l.contains("\"succeeded\""))
                && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        reader.interrupt();
        List<JsonNode> mine = new ArrayList<>();
        for (String l : List.copyOf(lines)) {
            if (l.startsWith("data:")) {
                JsonNode j = TestService.JSON.readTree(l.substring(5));
                if (id.equals(j.path("id").asText())) {
                    mine.add(j);
                }
            }
        }
        assertThat(mine.getFirst().path("state").asText()).isEqualTo("queued");
        assertThat(mine.getLast().path("state").asText()).isEqualTo("succeeded");
        List<JsonNode> denoising = mine.stream().filter(j -> j.path("progress").path("stage").asText().equals("denoising")).toList();
        assertThat(denoising).as("denoising events").hasSizeGreaterThanOrEqualTo(2);
        assertThat(denoising).allSatisfy(j -> {
            assertThat(j.path("progress").path("steps").asInt()).isEqualTo(60);
            assertThat(j.path("progress").path("framesTotal").asInt()).isEqualTo(25);
        });
        List<Integer> steps = denoising.stream().map(j -> j.path("progress").path("step").asInt()).toList();
        assertThat(steps).isSorted();
        assertThat(steps.getLast()).isGreaterThan(steps.getFirst());
        assertThat(denoising.stream().anyMatch(j -> j.path("progress").has("etaSeconds"))).isTrue();
        assertThat(denoising.stream().anyMatch(j -> j.path("progress").path("blocks").asInt() == 2)).as("block of the 2-layer model").isTrue();
        List<Double> fractions = mine.stream().filter(j -> j.has("progress")).map(j -> j.path("progress").path("fraction").asDouble()).toList();
        assertThat(fractions).isSorted();
    }

    @Test
    void oneGenerationAtATimePerModelInSubmissionOrder() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(submit("{\"model\":\"" + T2V + "\",\"prompt\":\"job " + i + "\",\"steps\":4,\"seed\":" + i + "}"));
        }
        List<JsonNode> done = ids.stream().map(id -> s.await(id, TestService::finished, Duration.ofSeconds(60))).toList();
        for (int i = 0; i + 1 < done.size(); i++) {
            assertThat(done.get(i).path("state").asText()).isEqualTo("succeeded");
            assertThat(done.get(i + 1).path("startedAt").asLong()).as("job %d starts after job %d ends", i + 1, i)
                    .isGreaterThanOrEqualTo(done.get(i).path("finishedAt").asLong());
        }
    }

    @Test
    void cancelQueuedAndRunningJobs() {
        String running = submit("{\"model\":\"" + T2V + "\",\"prompt\":\"long\"," + LONG + "}");
        // the runner picks the first job up asynchronously: until it has, the second would be second in the queue
        s.await(running, j -> j.path("state").asText().equals("running"), Duration.ofSeconds(60));
        String queued = submit("{\"model\":\"" + T2V + "\",\"prompt\":\"behind\",\"steps\":3}");
        assertThat(s.get("/api/jobs/" + queued).json().path("queuePosition").asInt()).isEqualTo(1);
        TestService.Reply c = s.post("/api/jobs/" + queued + "/cancel", "");
        assertThat(c.status()).isEqualTo(200);
        assertThat(c.json().path("state").asText()).isEqualTo("cancelled");
        s.await(running, j -> j.path("progress").path("step").asInt() > 0, Duration.ofSeconds(60));
        assertThat(s.delete("/api/jobs/" + running).status()).as("a running job is cancelled before it is deleted").isEqualTo(409);
        assertThat(s.post("/api/jobs/" + running + "/cancel", "").status()).isEqualTo(200);
        JsonNode j = s.await(running, TestService::finished, Duration.ofSeconds(30));
        assertThat(j.path("state").asText()).isEqualTo("cancelled");
        assertThat(j.path("error").asText()).contains("cancelled while running");
        assertThat(s.get("/api/jobs/" + running + "/video.mp4").status()).isEqualTo(409);
        assertThat(data.resolve("jobs").resolve(running)).doesNotExist();
        assertThat(s.get("/api/jobs/" + queued).json().path("startedAt").isNull()).as("the cancelled queued job never ran").isTrue();
    }

    @Test
    void imageToVideoFromAnUploadedImage() throws Exception {
        BufferedImage img = new BufferedImage(96, 80, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 80; y++) {
            for (int x = 0; x < 96; x++) {
                img.setRGB(x, y, (x * 2 << 16) | (y * 3 << 8) | 90);
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(img, "png", png);
        TestService.Reply up = s.send("POST", "/api/uploads", "image/png", png.toByteArray());
        assertThat(up.status()).as(up.text()).isEqualTo(201);
        String name = up.json().path("name").asText();
        assertThat(name).matches("[0-9a-f]{32}\\.png");

        TestService.Reply t2v = s.post("/api/jobs", "{\"model\":\"" + T2V + "\",\"prompt\":\"x\",\"image\":\"" + name + "\"}");
        assertThat(t2v.status()).isEqualTo(400);
        assertThat(t2v.json().path("error").path("field").asText()).isEqualTo("image");
        TestService.Reply noImage = s.post("/api/jobs", "{\"model\":\"" + I2V + "\",\"prompt\":\"x\"}");
        assertThat(noImage.status()).isEqualTo(400);
        assertThat(noImage.json().path("error").path("message").asText()).contains("image-to-video");
        // the model's own size rule, as the command line's: learned positional embeddings take only their table's size
        TestService.Reply wrongSize = s.post("/api/jobs", "{\"model\":\"" + I2V + "\",\"prompt\":\"x\",\"height\":80,\"image\":\"" + name + "\"}");
        assertThat(wrongSize.status()).isEqualTo(400);
        assertThat(wrongSize.json().path("error").path("field").asText()).isEqualTo("height");
        assertThat(wrongSize.json().path("error").path("message").asText()).contains("only takes height 64 width 64");

        String id = submit("{\"model\":\"" + I2V + "\",\"prompt\":\"the picture moves\",\"steps\":2,\"image\":\"" + name + "\"}");
        JsonNode done = s.await(id, TestService::finished, Duration.ofSeconds(90));
        assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("succeeded");
        assertThat(done.path("settings").path("image").asText()).isEqualTo(name);
    }

    @Test
    void videoToVideoFromAnUploadedVideo() {
        String source = submit("{\"model\":\"" + T2V + "\",\"prompt\":\"the source\",\"steps\":2}");
        assertThat(s.await(source, TestService::finished, Duration.ofSeconds(60)).path("state").asText()).isEqualTo("succeeded");
        byte[] mp4 = s.get("/api/jobs/" + source + "/video.mp4").raw().body();
        TestService.Reply up = s.send("POST", "/api/uploads", "video/mp4", mp4);
        assertThat(up.status()).as(up.text()).isEqualTo(201);
        assertThat(up.json().path("frames").asInt()).isEqualTo(9);
        String name = up.json().path("name").asText();
        TestService.Reply i2v = s.post("/api/jobs", "{\"model\":\"" + I2V + "\",\"prompt\":\"x\",\"video\":\"" + name + "\"}");
        assertThat(i2v.status()).isEqualTo(400);
        String id = submit("{\"model\":\"" + T2V + "\",\"prompt\":\"the same, redone\",\"steps\":4,\"strength\":0.5,\"video\":\"" + name + "\"}");
        JsonNode done = s.await(id, TestService::finished, Duration.ofSeconds(60));
        assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("succeeded");
        assertThat(done.path("frames").asInt()).isEqualTo(9);
        assertThat(done.path("settings").path("strength").asDouble()).isEqualTo(0.5);
    }

    @Test
    void modelsOpenApiAndPageAreServed() {
        JsonNode models = s.get("/api/models").json();
        assertThat(models.findValuesAsText("name")).containsExactly(T2V, I2V);
        assertThat(models.get(1).path("imageToVideo").asBoolean()).isTrue();
        assertThat(models.get(0).path("limits").path("frameStep").asInt()).isEqualTo(8);
        JsonNode api = s.get("/api/openapi.json").json();
        assertThat(api.path("openapi").asText()).startsWith("3.");
        List<String> paths = new ArrayList<>();
        api.path("paths").fieldNames().forEachRemaining(paths::add);
        assertThat(paths).contains("/api/jobs", "/api/jobs/{id}", "/api/jobs/{id}/cancel", "/api/jobs/{id}/video.mp4", "/api/uploads", "/api/events");
        assertThat(s.get("/").text()).contains("id=\"job-form\"");
        assertThat(s.get("/static/app.js").status()).isEqualTo(200);
        assertThat(s.get("/static/..%2F..%2Fjobs.db").status()).isEqualTo(404);
    }

    static void assertNoPartFiles(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith("."))).isEmpty();
        }
    }
}
