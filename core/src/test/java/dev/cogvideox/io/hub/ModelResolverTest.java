package dev.cogvideox.io.hub;

import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.progress.ProgressUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelResolverTest {
    private static final String WEIGHTS = "transformer/diffusion_pytorch_model.safetensors";
    private static final byte[] INDEX = "{\"_class_name\": \"CogVideoXPipeline\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] BIG = new byte[300_000];

    static {
        new Random(42).nextBytes(BIG);
    }

    @TempDir
    Path tmp;
    private FakeHub hub;

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub().file("model_index.json", INDEX, false).file(WEIGHTS, BIG, true);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private HubSettings settings(Optional<String> token) {
        return new HubSettings(tmp.resolve("hub"), "test", hub.endpoint(), token, false);
    }

    private Path repo() {
        return tmp.resolve("hub/models--org--model");
    }

    @Test
    void downloadFillsTheCacheLayoutAndSendsTheTokenToTheHubOnly() throws IOException {
        long[] reported = new long[2];
        ProgressListener progress = new ProgressListener() {
            @Override
            public void onStart(String task, long total, ProgressUnit unit) {
                reported[0] = total;
            }

            @Override
            public void onProgress(long done) {
                reported[1] = done;
            }

            @Override
            public void onEnd() {
            }
        };
        Path snapshot = new ModelResolver(settings(Optional.of("secret")))
                .resolve("org/model", "main", true, progress);

        assertThat(snapshot).isEqualTo(repo().resolve("snapshots/" + FakeHub.COMMIT));
        assertThat(Files.readString(repo().resolve("refs/main"))).isEqualTo(FakeHub.COMMIT);
        Path weights = snapshot.resolve(WEIGHTS);
        assertThat(Files.isSymbolicLink(weights)).isTrue();
        assertThat(Files.readSymbolicLink(weights)).isEqualTo(Path.of("../../../blobs/" + FakeHub.sha256(BIG)));
        assertThat(Files.readAllBytes(weights)).isEqualTo(BIG);
        assertThat(Files.readSymbolicLink(snapshot.resolve("model_index.json")))
                .isEqualTo(Path.of("../../blobs/" + FakeHub.gitSha1(INDEX)));
        assertThat(Files.readAllBytes(snapshot.resolve("model_index.json"))).isEqualTo(INDEX);
        assertThat(reported).containsExactly(BIG.length + INDEX.length, BIG.length + INDEX.length);

        assertThat(hub.requests).allSatisfy(r -> assertThat(r.authorization())
                .isEqualTo(r.path().startsWith("/cdn/") ? null : "Bearer secret"));
        assertThat(hub.requests).anySatisfy(r -> assertThat(r.path()).startsWith("/cdn/"));

        int before = hub.requests.size();
        new ModelResolver(settings(Optional.empty())).resolve("org/model", "main", true, ProgressListener.NONE);
        assertThat(hub.requests.subList(before, hub.requests.size())).as("only the revision is asked again")
                .extracting(FakeHub.Request::path).containsExactly("/api/models/org/model/revision/main");
    }

    @Test
    void aDroppedConnectionIsResumedWithARangeRequest() throws IOException {
        hub.cutOnce.add(WEIGHTS);
        Path snapshot = new ModelResolver(settings(Optional.empty())).resolve("org/model", "main", true, ProgressListener.NONE);
        assertThat(Files.readAllBytes(snapshot.resolve(WEIGHTS))).isEqualTo(BIG);
        // the server cuts after half the file; how much of it reached the client before the reset depends on timing
        List<String> ranges = hub.requests.stream().filter(r -> r.path().startsWith("/cdn/")).map(FakeHub.Request::range).toList();
        assertThat(ranges).hasSize(2);
        assertThat(ranges.get(0)).isNull();
        assertThat(ranges.get(1)).matches("bytes=\\d+-");
        long resumedAt = Long.parseLong(ranges.get(1).substring("bytes=".length(), ranges.get(1).length() - 1));
        assertThat(resumedAt).isPositive().isLessThanOrEqualTo(BIG.length / 2);
        assertThat(repo().resolve("blobs")).isDirectoryNotContaining("glob:**.incomplete");
    }

    @Test
    void aPartialFileLeftByAnEarlierRunIsResumed() throws IOException {
        Path blobs = Files.createDirectories(repo().resolve("blobs"));
        Files.write(blobs.resolve(FakeHub.sha256(BIG) + ".incomplete"), Arrays.copyOf(BIG, 1000));
        Path snapshot = new ModelResolver(settings(Optional.empty())).resolve("org/model", "main", true, ProgressListener.NONE);
        assertThat(Files.readAllBytes(snapshot.resolve(WEIGHTS))).isEqualTo(BIG);
        assertThat(hub.requests).filteredOn(r -> r.path().startsWith("/cdn/")).extracting(FakeHub.Request::range)
                .containsExactly("bytes=1000-");
    }

    @Test
    void aChecksumMismatchIsAnErrorAndTheBadFileIsNotKept() throws IOException {
        hub.corrupt.add(WEIGHTS);
        ModelResolver resolver = new ModelResolver(settings(Optional.empty()));
        assertThatThrownBy(() -> resolver.resolve("org/model", "main", true, ProgressListener.NONE))
                .isInstanceOf(HubException.class)
                .hasMessageContaining(WEIGHTS + ": downloaded content does not match (sha256 ")
                .hasMessageContaining("the hub said " + FakeHub.sha256(BIG));
        try (var blobs = Files.list(repo().resolve("blobs"))) {
            assertThat(blobs.map(p -> p.getFileName().toString())).containsExactly(FakeHub.gitSha1(INDEX));
        }
        assertThat(repo().resolve("snapshots/" + FakeHub.COMMIT + "/" + WEIGHTS)).doesNotExist();
        assertThat(repo().resolve("refs/main")).doesNotExist();
    }

    /** No network (nothing listens on the endpoint's port): the message names the host, the proxy setting and HF_ENDPOINT. */
    @Test
    void anUnreachableHubIsNamedWithTheProxyAndEndpointHints() {
        hub.close();
        HubSettings down = new HubSettings(tmp.resolve("hub"), "test", URI.create("http://127.0.0.1:9"), Optional.empty(), false);
        assertThatThrownBy(() -> new ModelResolver(down).resolve("org/model", "main", true, ProgressListener.NONE))
                .hasMessageContaining("cannot reach the hub at 127.0.0.1:9").hasMessageContaining("HTTPS_PROXY")
                .hasMessageContaining("HF_ENDPOINT (now http://127.0.0.1:9)").hasMessageNotContaining("java.net");
        HubSettings proxied = new HubSettings(tmp.resolve("hub"), "test", URI.create("http://127.0.0.1:9"), Optional.empty(), false,
                Optional.of(URI.create("http://127.0.0.1:7")));
        assertThatThrownBy(() -> new ModelResolver(proxied).resolve("org/model", "main", true, ProgressListener.NONE))
                .hasMessageContaining("through the proxy http://127.0.0.1:7");
    }

    @Test
    void proxyFromTheEnvironmentUnlessNoProxyNamesTheHost() {
        Path home = tmp.resolve("home");
        assertThat(HubSettings.fromEnvironment(Map.of("HTTPS_PROXY", "proxy.local:3128"), home).proxy())
                .contains(URI.create("http://proxy.local:3128"));
        assertThat(HubSettings.fromEnvironment(Map.of("HTTPS_PROXY", "http://p:1", "NO_PROXY", "localhost,.huggingface.co"), home).proxy())
                .isEmpty();
        assertThat(HubSettings.fromEnvironment(Map.of(), home).proxy()).isEmpty();
    }

    @Test
    void cachedModelsResolveWithoutTheNetwork() {
        new ModelResolver(settings(Optional.empty())).resolve("org/model", "main", true, ProgressListener.NONE);
        hub.close();
        HubSettings offline = new HubSettings(tmp.resolve("hub"), "test", URI.create("http://127.0.0.1:9"), Optional.empty(), true);
        ModelResolver resolver = new ModelResolver(offline);
        Path expected = repo().resolve("snapshots/" + FakeHub.COMMIT);
        assertThat(resolver.resolve("org/model")).isEqualTo(expected);
        assertThat(resolver.resolve("org/model", FakeHub.COMMIT, false, ProgressListener.NONE)).isEqualTo(expected);
        assertThatThrownBy(() -> resolver.resolve("org/model", "main", true, ProgressListener.NONE))
                .hasMessageContaining("HF_HUB_OFFLINE");
    }

    @Test
    void anUnknownModelSaysWhereItLookedAndHowToDownload() {
        ModelResolver resolver = new ModelResolver(settings(Optional.empty()));
        assertThatThrownBy(() -> resolver.resolve("THUDM/CogVideoX-2b"))
                .isInstanceOf(HubException.class)
                .hasMessageContaining(tmp.resolve("hub/models--THUDM--CogVideoX-2b/refs/main").toString())
                .hasMessageContaining("--download");
        assertThatThrownBy(() -> resolver.resolve("no-such-folder"))
                .hasMessageContaining("no such folder, and not a hub id");
        assertThatThrownBy(() -> resolver.resolve("org/missing", "main", true, ProgressListener.NONE))
                .hasMessageContaining("org/missing (revision main) at " + hub.endpoint() + ": repository info not found");
    }

    @Test
    void aLocalFolderIsUsedAsIs() {
        assertThat(new ModelResolver(settings(Optional.empty())).resolve(tmp.toString())).isEqualTo(tmp);
    }

    @Test
    void environmentVariablesFollowHuggingFaceHubPrecedence() {
        Path home = Path.of("/home/u");
        assertThat(HubSettings.fromEnvironment(Map.of("HF_HUB_CACHE", "/a", "HF_HOME", "/b", "XDG_CACHE_HOME", "/c"), home)
                .cache()).isEqualTo(Path.of("/a"));
        assertThat(HubSettings.fromEnvironment(Map.of("HF_HOME", "/b", "XDG_CACHE_HOME", "/c"), home).cache())
                .isEqualTo(Path.of("/b/hub"));
        assertThat(HubSettings.fromEnvironment(Map.of("XDG_CACHE_HOME", "/c"), home).cache())
                .isEqualTo(Path.of("/c/huggingface/hub"));
        HubSettings defaults = HubSettings.fromEnvironment(Map.of("HF_HUB_CACHE", " "), home);
        assertThat(defaults.cache()).isEqualTo(Path.of("/home/u/.cache/huggingface/hub"));
        assertThat(defaults.endpoint()).isEqualTo(HubSettings.DEFAULT_ENDPOINT);
        assertThat(defaults.token()).isEmpty();
        assertThat(defaults.offline()).isFalse();
        HubSettings custom = HubSettings.fromEnvironment(
                Map.of("HF_ENDPOINT", "https://hf-mirror.com/", "HF_TOKEN", "hf_x\n", "HF_HUB_OFFLINE", "1"), home);
        assertThat(custom.endpoint()).isEqualTo(URI.create("https://hf-mirror.com"));
        assertThat(custom.token()).contains("hf_x");
        assertThat(custom.offline()).isTrue();
    }

    @Test
    void repoIdsFollowTheHubRules() {
        assertThat(RepoId.tryParse("THUDM/CogVideoX1.5-5B-I2V")).contains(new RepoId("THUDM", "CogVideoX1.5-5B-I2V"));
        assertThat(RepoId.tryParse("a/b/c")).isEmpty();
        assertThat(RepoId.tryParse("../x")).isEmpty();
        assertThat(RepoId.tryParse("a--b/c")).isEmpty();
        assertThat(new RepoId("THUDM", "CogVideoX-2b").cacheFolderName()).isEqualTo("models--THUDM--CogVideoX-2b");
    }
}
