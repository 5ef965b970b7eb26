package dev.cogvideox.serve;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The page end to end in Debian's headless Chromium: a job on the default model submitted from the form, its
 * progress bar seen moving, its video played in the gallery (duration and decoded frames), another job cancelled
 * while it runs. Screenshots go to {@code target/screenshots/}.
 */
class BrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SHOTS = Path.of("target/screenshots");

    private static TestService service;
    private static WebDriver driver;

    @BeforeAll
    static void start(@TempDir Path data, @TempDir Path profile) throws IOException {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "Chromium is not installed (" + CHROMIUM + ", " + CHROMEDRIVER + "): apt-get install chromium chromium-driver; .ci/run installs them");
        service = TestService.start(data, null, 100);                       // no --model: the default tiny model
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
                "--window-size=1280,900", "--user-data-dir=" + profile.toAbsolutePath());
        ChromeDriverService drv = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(drv, options);
        Files.createDirectories(SHOTS);
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (service != null) {
            service.close();
        }
    }

    @Test
    void submitWatchPlayAndCancel() throws Exception {
        driver.get(service.base + "/");
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));
        wait.until(d -> !d.findElements(By.cssSelector("#model option")).isEmpty());
        // the model's defaults and limits in the form
        assertThat(driver.findElement(By.id("steps")).getAttribute("value")).isEqualTo("50");
        assertThat(driver.findElement(By.id("frames")).getAttribute("value")).isEqualTo("9");
        assertThat(driver.findElement(By.id("frames")).getAttribute("step")).isEqualTo("8");
        assertThat(driver.findElement(By.id("model-info")).getText()).contains("8N+1");

        // a job of some seconds and, behind it, one that would take minutes
        type("prompt", "a red circle moving left on a black background");
        type("frames", "25");
        type("height", "128");
        type("width", "128");
        type("steps", "100");
        driver.findElement(By.id("submit")).click();
        String first = wait.until(d -> attr(d, "#queue li.job", "data-id"));
        type("prompt", "a long job to cancel");
        type("frames", "49");
        type("height", "256");
        type("width", "256");
        type("steps", "500");
        driver.findElement(By.id("submit")).click();
        String second = wait.until(d -> d.findElements(By.cssSelector("#queue li.job")).size() == 2
                ? d.findElements(By.cssSelector("#queue li.job")).get(1).getAttribute("data-id") : null);

        // the first job's bar moves: several distinct values seen while it runs
        List<Double> seen = new ArrayList<>();
        long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        boolean shot = false;
        while (System.nanoTime() < end) {
            Double v = progress(first);
            if (v == null) {
                break;                                                           // finished: moved to the gallery
            }
            if (seen.isEmpty() || !seen.getLast().equals(v)) {
                seen.add(v);
            }
            if (!shot && v > 20) {
                screenshot("progress.png");
                shot = true;
            }
            Thread.sleep(40);
        }
        assertThat(seen).as("progress values of the first job's bar").hasSizeGreaterThanOrEqualTo(3).isSorted();
        assertThat(seen.getLast()).isGreaterThan(50);

        // the finished video plays: it has a duration, a size and decoded frames
        WebElement video = wait.until(d -> d.findElements(By.cssSelector("#gallery .card[data-id='" + first + "'] video")).stream().findFirst().orElse(null));
        JavascriptExecutor js = (JavascriptExecutor) driver;
        @SuppressWarnings("unchecked")
        Map<String, Object> played = (Map<String, Object>) js.executeAsyncScript("""
                const v = arguments[0], done = arguments[arguments.length - 1];
                v.muted = true;
                v.play().then(() => setTimeout(() => done({duration: v.duration, width: v.videoWidth, height: v.videoHeight,
                    frames: v.getVideoPlaybackQuality().totalVideoFrames, time: v.currentTime, error: null}), 1500))
                  .catch((e) => done({error: String(e), code: v.error ? v.error.code : null}));
                """, video);
        assertThat(played.get("error")).as("playing the video: %s", played).isNull();
        assertThat(((Number) played.get("duration")).doubleValue()).as("duration of 25 frames at 8 fps").isBetween(3.0, 3.3);
        assertThat(((Number) played.get("width")).intValue()).isEqualTo(128);
        assertThat(((Number) played.get("frames")).intValue()).as("decoded frames").isGreaterThan(0);
        assertThat(((Number) played.get("time")).doubleValue()).as("playback position").isGreaterThan(0);
        assertThat(driver.findElement(By.cssSelector("#gallery .card[data-id='" + first + "'] .settings")).getText())
                .contains("100 steps").contains("seed 42").contains("25 frames 128x128");

        // the second job runs now; cancel it from its row
        wait.until(d -> {
            Double v = progress(second);
            return v != null && v > 0;
        });
        screenshot("page.png");
        driver.findElement(By.cssSelector("#queue li[data-id='" + second + "'] button.cancel")).click();
        wait.until(d -> !d.findElements(By.cssSelector("#gallery .card[data-id='" + second + "'][data-state='cancelled']")).isEmpty());
        assertThat(service.get("/api/jobs/" + second).json().path("state").asText()).isEqualTo("cancelled");
        wait.until(d -> d.findElements(By.cssSelector("#queue li[data-id='" + second + "']")).isEmpty());
        assertThat(driver.findElement(By.id("queue-empty")).isDisplayed()).isTrue();
        screenshot("after-cancel.png");
    }

    /** The value of a job's progress bar in the queue, or null once it has left the queue (read in one step: the row may go any time). */
    private static Double progress(String id) {
        Object v = ((JavascriptExecutor) driver).executeScript(
                "const b = document.querySelector(\"#queue li[data-id='\" + arguments[0] + \"'] .bar\"); return b ? b.getAttribute('aria-valuenow') : null;", id);
        return v == null ? null : Double.valueOf(v.toString());
    }

    private static void type(String id, String text) {
        WebElement e = driver.findElement(By.id(id));
        e.clear();
        e.sendKeys(text);
    }

    private static String attr(WebDriver d, String css, String name) {
        List<WebElement> e = d.findElements(By.cssSelector(css));
        return e.isEmpty() ? null : e.getFirst().getAttribute(name);
    }

    private static void screenshot(String name) throws IOException {
        File f = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Files.copy(f.toPath(), SHOTS.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
}
