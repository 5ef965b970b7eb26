package dev.cogvideox.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The routes: the JSON job API under {@code /api}, its OpenAPI description, the event streams, the result
 * files (the MP4 with range requests, so a browser can seek) and the web page. Every error is a JSON object
 * {@code {"error": {"status", "message", "field"}}}; no stack trace reaches a client.
 */
final class HttpApi {
    private static final String WEB = "/dev/cogvideox/serve/web/";
    private static final Map<String, String> PAGE_FILES = Map.of("index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8", "style.css", "text/css; charset=utf-8");
    private static final Map<String, String> RESULT_FILES = Map.of("video.mp4", "video/mp4", "video.gif", "image/gif", "poster.png", "image/png");

    private HttpApi() {
    }

    static Javalin create(GenerationService s) {
        return Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.http.maxRequestSize = GenerationService.MAX_JSON_BYTES;
            config.routes.before("/api/*", ctx -> authorize(s, ctx));
            config.routes.get("/", ctx -> page(ctx, "index.html"));
            config.routes.get("/static/{file}", ctx -> page(ctx, ctx.pathParam("file")));
            config.routes.get("/api/openapi.json", ctx -> ctx.contentType("application/json").result(resource("openapi.json")));
            config.routes.get("/api/models", ctx -> json(s, ctx, 200, s.models()));
            // the body is opened only after the type and declared size are checked: opening it answers "100 Continue",
            // and a client told to go on would see the server close on the rest of a refused body
            config.routes.post("/api/uploads", ctx -> json(s, ctx, 201, s.upload(() -> ctx.req().getInputStream(), ctx.contentType(),
                    ctx.req().getContentLengthLong())));
            config.routes.post("/api/jobs", ctx -> json(s, ctx, 201, s.submit(settings(s, ctx))));
            config.routes.get("/api/jobs", ctx -> json(s, ctx, 200, s.list(ctx.queryParam("state"))));
            config.routes.get("/api/jobs/{id}", ctx -> json(s, ctx, 200, s.get(ctx.pathParam("id"))));
            config.routes.post("/api/jobs/{id}/cancel", ctx -> json(s, ctx, 200, s.cancel(ctx.pathParam("id"))));
            config.routes.delete("/api/jobs/{id}", ctx -> {
                s.delete(ctx.pathParam("id"));
                ctx.status(204);
            });
            config.routes.get("/api/jobs/{id}/{file}", ctx -> result(s, ctx));
            config.routes.sse("/api/events", client -> {
                client.keepAlive();
                s.events().add(client, null);
                client.sendComment("all jobs");
            });
            config.routes.sse("/api/jobs/{id}/events", client -> {
                String id = client.ctx().pathParam("id");
                Map<String, Object> now = s.get(id);
                client.keepAlive();
                s.events().add(client, id);
                try {
                    EventHub.send(client, "job", s.json().writeValueAsString(now));
                } catch (JsonProcessingException e) {
                    throw new UncheckedIOException(e);
                }
            });
            config.routes.exception(ApiException.class, (e, ctx) -> error(s, ctx, e.status(), e.field(), e.getMessage()));
            config.routes.exception(Exception.class, (e, ctx) -> error(s, ctx, 500, null, "internal error: "
                    + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName())));
            config.routes.error(404, ctx -> {
                if (ctx.path().startsWith("/api/") && (ctx.result() == null || !ctx.result().startsWith("{"))) {
                    error(s, ctx, 404, null, "no such endpoint: " + ctx.method() + " " + ctx.path() + " (see /api/openapi.json)");
                }
            });
            config.routes.error(413, ctx -> {
                if (ctx.result() == null || !ctx.result().startsWith("{")) {
                    error(s, ctx, 413, null, "the request body is too large: a job's JSON settings take at most " + GenerationService.MAX_JSON_BYTES + " bytes");
                }
            });
        });
    }

    /** With a token set, every API call carries it: {@code Authorization: Bearer <token>}, or {@code ?access_token=} for event streams and media. */
    private static void authorize(GenerationService s, Context ctx) {
        String token = s.config().token();
        if (token == null || ctx.method() == HandlerType.OPTIONS) {
            return;
        }
        String header = ctx.header("Authorization");
        String given = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : ctx.queryParam("access_token");
        if (given == null || !MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new ApiException(401, given == null ? "this service needs a token: send 'Authorization: Bearer <token>'"
                    : "the token is wrong");
        }
    }

    private static JobSettings settings(GenerationService s, Context ctx) {
        long length = ctx.req().getContentLengthLong();
        if (length > GenerationService.MAX_JSON_BYTES) {
            throw new ApiException(413, "the request body has " + length + " bytes; a job's JSON settings take at most " + GenerationService.MAX_JSON_BYTES);
        }
        String body = ctx.body();
        if (body.isBlank()) {
            throw ApiException.badRequest(null, "the body must be a JSON object with the job's settings, e.g. {\"prompt\": \"a cat\"}");
        }
        try {
            return s.json().readValue(body, JobSettings.class);
        } catch (UnrecognizedPropertyException e) {
            throw ApiException.badRequest(e.getPropertyName(), "unknown field '" + e.getPropertyName() + "'; the fields are " + e.getKnownPropertyIds());
        } catch (MismatchedInputException e) {
            String field = e.getPath().isEmpty() ? null : e.getPath().getFirst().getFieldName();
            throw ApiException.badRequest(field, field != null ? "field '" + field + "' must be " + kind(e.getTargetType())
                    : "the body must be a JSON object with the job's settings, e.g. {\"prompt\": \"a cat\"}");
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest(null, "malformed JSON at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()
                    + ": " + e.getOriginalMessage());
        }
    }

    private static String kind(Class<?> type) {
        if (type == Integer.class || type == Long.class || type == int.class || type == long.class) {
            return "a whole number";
        }
        if (type == Double.class || type == double.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        return "a string";
    }

    private static void result(GenerationService s, Context ctx) throws IOException {
        String file = ctx.pathParam("file");
        String type = RESULT_FILES.get(file);
        if (type == null) {
            throw ApiException.notFound("no result '" + file + "'; a job's results are " + RESULT_FILES.keySet());
        }
        Path p = s.result(ctx.pathParam("id"), file);
        ctx.header("Cache-Control", "no-cache");
        if (file.endsWith(".mp4")) {
            ctx.writeSeekableStream(Files.newInputStream(p), type, Files.size(p));   // 206 with Range, as a <video> seeks
        } else {
            ctx.contentType(type).result(Files.newInputStream(p));
        }
    }

    private static void page(Context ctx, String file) {
        String type = PAGE_FILES.get(file);
        if (type == null) {
            throw ApiException.notFound("no page file '" + file + "'");
        }
        ctx.contentType(type).result(resource(file));
    }

    private static byte[] resource(String file) {
        try (InputStream in = HttpApi.class.getResourceAsStream(WEB + file)) {
            if (in == null) {
                throw new IllegalStateException("resource " + WEB + file + " missing from the application");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void json(GenerationService s, Context ctx, int status, Object body) throws JsonProcessingException {
        ctx.status(status).contentType("application/json").result(s.json().writeValueAsString(body));
    }

    private static void error(GenerationService s, Context ctx, int status, String field, String message) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("status", status);
        e.put("message", message);
        if (field != null) {
            e.put("field", field);
        }
        try {
            json(s, ctx, status, Map.of("error", e));
        } catch (JsonProcessingException ex) {
            ctx.status(status).result(message);
        }
    }
}
