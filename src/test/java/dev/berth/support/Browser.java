package dev.berth.support;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** Debian's headless Chromium driven through Debian's chromedriver; nothing downloaded, nothing but loopback. */
public final class Browser implements AutoCloseable {
    public final ChromeDriver driver;
    public final WebDriverWait wait;
    private final Path profile;
    private final URL portal;

    public Browser(URL portal) throws IOException {
        this.portal = portal;
        profile = Files.createTempDirectory("berth-chromium");
        var options = new ChromeOptions();
        options.setBinary(System.getProperty("berth.chromium", "/usr/bin/chromium"));
        // The browser's console (CSP violations, script errors) for tests that check a page runs cleanly.
        options.setCapability("goog:loggingPrefs", java.util.Map.of("browser", "ALL"));
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--window-size=1280,860", "--user-data-dir=" + profile);
        var service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(System.getProperty("berth.chromedriver", "/usr/bin/chromedriver")))
                .usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        // Pages poll with htmx and swap parts of themselves: an element may go stale between finding and reading it.
        wait = new WebDriverWait(driver, Duration.ofSeconds(30));
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
    }

    public void open(String path) {
        driver.get(portal.toString().replaceAll("/$", "") + path);
    }

    /** Through Keycloak's own login form, as a person signs in. */
    public void signIn(DemoUser user) {
        open("/");
        visible(By.id("username")).sendKeys(user.username());
        driver.findElement(By.id("password")).sendKeys(user.password());
        driver.findElement(By.id("kc-login")).click();
        wait.until(ExpectedConditions.urlContains(portal.getHost() + ":" + portal.getPort()));
    }

    /** Confirms in the page's own dialog (forms.js; never the browser's confirm()) and returns the question it asked. */
    public String confirm() {
        String question = visible(By.id("confirm-dialog-body")).getText();
        driver.findElement(By.id("confirm-dialog-ok")).click();
        wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("confirm-dialog")));
        return question;
    }

    public WebElement visible(By by) {
        return wait.until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    public void type(String id, String text) {
        WebElement field = visible(By.id(id));
        field.clear();
        field.sendKeys(text);
    }

    /** Console messages the page logged since the last call, e.g. "Refused to execute inline script …" (CSP). */
    public java.util.List<String> consoleMessages() {
        return driver.manage().logs().get(org.openqa.selenium.logging.LogType.BROWSER).getAll().stream()
                .map(e -> e.getLevel() + " " + e.getMessage()).toList();
    }

    public Path screenshot(String name) throws IOException {
        Path dir = Path.of("target", "screenshots");
        Files.createDirectories(dir);
        Path shot = dir.resolve(name);
        Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), shot, StandardCopyOption.REPLACE_EXISTING);
        return shot;
    }

    /**
     * A screenshot that is also the README's picture {@code src/docs/<docsName>}, refreshed only when asked
     * ({@code -Dberth.docs.update=true}): an ordinary test run leaves the repository as it found it.
     */
    public void screenshot(String name, String docsName) throws IOException {
        Path shot = screenshot(name);
        if (Boolean.getBoolean("berth.docs.update")) {
            Files.copy(shot, Path.of("src", "docs", docsName), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Override
    public void close() throws IOException {
        driver.quit();
        try (var files = Files.walk(profile)) {
            files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }
}
