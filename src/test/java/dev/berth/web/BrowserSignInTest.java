package dev.berth.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.Browser;
import dev.berth.support.DemoUser;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.URL;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/** A real headless Chromium signs in through Keycloak's login form, as a person would. */
@QuarkusTest
class BrowserSignInTest {
    @TestHTTPResource("/")
    URL portal;

    Browser browser;

    @BeforeEach
    void openBrowser() throws IOException {
        browser = new Browser(portal);
    }

    @AfterEach
    void closeBrowser() throws IOException {
        browser.close();
    }

    @Test
    void aliceSignsInAndLandsOnAcmesDashboard() throws IOException {
        browser.signIn(DemoUser.ALICE);
        assertEquals("acme", browser.visible(By.id("dashboard-tenant")).getText());
        assertEquals("alice", browser.driver.findElement(By.id("username")).getText());
        assertTrue(browser.driver.findElements(By.id("nav-admin")).isEmpty(), "alice has no admin link");
        browser.screenshot("dashboard-alice.png"); // the README's dashboard.png: AccessibilityBrowserTest, with machines

        browser.driver.findElement(By.id("sign-out")).click();
        browser.visible(By.id("signed-out"));
        // The identity provider's session ended too: the portal asks for credentials again.
        browser.open("/");
        browser.visible(By.id("username"));
        assertTrue(browser.driver.getCurrentUrl().contains("/protocol/openid-connect/auth"), browser.driver.getCurrentUrl());
    }

    @Test
    void carolReachesTheAdminSection() throws IOException {
        browser.signIn(DemoUser.CAROL);
        browser.visible(By.id("nav-admin")).click();
        browser.visible(By.id("admin-title"));
    }

    @Test
    void bobSeesGlobexNotAcme() {
        browser.signIn(DemoUser.BOB);
        assertEquals("globex", browser.visible(By.id("dashboard-tenant")).getText());
        assertFalse(browser.driver.getPageSource().contains("acme"));
    }
}
