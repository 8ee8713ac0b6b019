package dev.berth.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.DemoUser;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** A real headless Chromium signs in through Keycloak's login form, as a person would. */
@QuarkusTest
class BrowserSignInTest {
    @TestHTTPResource("/")
    URL portal;

    ChromeDriver browser;
    WebDriverWait wait;
    Path profile;

    @BeforeEach
    void openBrowser() throws IOException {
        profile = Files.createTempDirectory("berth-chromium");
        var options = new ChromeOptions();
        options.setBinary(System.getProperty("berth.chromium", "/usr/bin/chromium"));
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--window-size=1280,860", "--user-data-dir=" + profile);
        var service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(System.getProperty("berth.chromedriver", "/usr/bin/chromedriver")))
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    }

    @AfterEach
    void closeBrowser() throws IOException {
        if (browser != null) {
            browser.quit();
        }
        try (var files = Files.walk(profile)) {
            files.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }

    @Test
    void aliceSignsInAndLandsOnAcmesDashboard() throws IOException {
        signIn(DemoUser.ALICE);
        assertEquals("acme", wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("dashboard-tenant"))).getText());
        assertEquals("alice", browser.findElement(By.id("username")).getText());
        assertTrue(browser.findElements(By.id("nav-admin")).isEmpty(), "alice has no admin link");
        screenshot("dashboard-alice.png");

        browser.findElement(By.id("sign-out")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("signed-out")));
        // The identity provider's session ended too: the portal asks for credentials again.
        browser.get(portal.toString());
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("username")));
        assertTrue(browser.getCurrentUrl().contains("/protocol/openid-connect/auth"), browser.getCurrentUrl());
    }

    @Test
    void carolReachesTheAdminSection() throws IOException {
        signIn(DemoUser.CAROL);
        wait.until(ExpectedConditions.elementToBeClickable(By.id("nav-admin"))).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("admin-title")));
        screenshot("admin-carol.png");
    }

    @Test
    void bobSeesGlobexNotAcme() {
        signIn(DemoUser.BOB);
        assertEquals("globex", wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("dashboard-tenant"))).getText());
        assertFalse(browser.getPageSource().contains("acme"));
    }

    private void signIn(DemoUser user) {
        browser.get(portal.toString());
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("username"))).sendKeys(user.username());
        browser.findElement(By.id("password")).sendKeys(user.password());
        browser.findElement(By.id("kc-login")).click();
        wait.until(ExpectedConditions.urlContains(portal.getHost() + ":" + portal.getPort()));
    }

    private void screenshot(String name) throws IOException {
        Path dir = Path.of("target", "screenshots");
        Files.createDirectories(dir);
        Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
}
