package dev.berth.storage;

import dev.berth.hosts.HostService;
import dev.berth.storage.instance.Reconciler;
import dev.berth.storage.instance.StorageService;
import dev.berth.support.Browser;
import dev.berth.support.DemoUser;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URL;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** alice activates storage in headless Chromium and watches it become ready, without reloading the page. */
@QuarkusTest
class StorageBrowserTest {
    @TestHTTPResource("/")
    URL portal;
    @Inject
    HostService hosts;
    @Inject
    StorageService storage;
    @Inject
    Reconciler reconciler;

    @BeforeEach
    void clean() {
        StorageFixtures.localDockerHost(hosts);
        StorageFixtures.removeInstances(storage, reconciler, "acme");
    }

    @AfterEach
    void cleanAfter() {
        StorageFixtures.removeInstances(storage, reconciler, "acme");
    }

    @Test
    @Timeout(240)
    void aliceWatchesHerStorageBecomeReady() throws Exception {
        try (var b = new Browser(portal)) {
            b.signIn(DemoUser.ALICE);
            b.open("/storage");
            b.visible(By.id("activate-storage")).click();
            // The status part replaces itself every second; the page itself is never reloaded.
            b.driver.executeScript("window.berthNotReloaded = true;");
            // htmx swaps the element while we look at it: a stale reference means "look again".
            new WebDriverWait(b.driver, Duration.ofSeconds(120))
                    .ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(
                    ExpectedConditions.attributeToBe(By.id("storage-status"), "data-status", "READY"));
            b.visible(By.id("storage-endpoint"));
            if (!Boolean.TRUE.equals(b.driver.executeScript("return window.berthNotReloaded === true;"))) {
                throw new AssertionError("the page was reloaded");
            }
            b.screenshot("storage.png", "storage.png");
        }
    }
}
