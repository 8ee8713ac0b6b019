package dev.berth.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.Api;
import dev.berth.support.Browser;
import dev.berth.support.DemoUser;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/**
 * Issue 19, item 2, in Chromium: every form control sits in PatternFly 5's wrapper (so PatternFly, not the browser,
 * draws it), a field's error stands beside it and is tied to it (aria-invalid, aria-describedby), the banner says
 * what the page shows, and the tenant switcher is drawn for the dark masthead.
 */
@QuarkusTest
class FormsBrowserTest {
    @TestHTTPResource("/")
    URL portal;

    /** Controls a person types into or chooses from whose parent is not PatternFly 5's .pf-v5-c-form-control wrapper. */
    private static final String UNWRAPPED = """
            return Array.from(document.querySelectorAll(
                'input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea'))
              .filter(c => !c.parentElement.classList.contains('pf-v5-c-form-control')
                        || getComputedStyle(c).borderTopStyle !== 'none')
              .map(c => c.id || c.name);""";

    @Test
    void everyControlIsAPatternFlyControlAndErrorsStandBesideTheirFields() throws Exception {
        Api.as(DemoUser.ALICE).when().get("/api/v1/me").then().statusCode(200); // acme exists
        try (var b = new Browser(portal)) {
            b.signIn(DemoUser.CAROL);
            for (String page : List.of("/admin/tenants", "/admin/tenants/acme", "/admin/hosts/new", "/admin/audit",
                    "/admin/vms")) {
                b.open(page);
                b.visible(By.tagName("main"));
                assertEquals(List.of(), b.driver.executeScript(UNWRAPPED), page + ": controls outside PatternFly's wrapper");
            }

            // "Create tenant" with nothing filled in.
            b.open("/admin/tenants");
            b.driver.findElement(By.cssSelector("#create-tenant button[type=submit]")).click();
            var slug = b.visible(By.id("slug"));
            assertEquals("true", slug.getAttribute("aria-invalid"));
            assertEquals("slug-helper", slug.getAttribute("aria-describedby"));
            assertTrue(slug.findElement(By.xpath("..")).getAttribute("class").contains("pf-m-error"), "the wrapper shows the error state");
            var help = b.driver.findElement(By.id("slug-helper"));
            assertTrue(help.isDisplayed());
            assertEquals("is required", help.findElement(By.cssSelector(".pf-v5-c-helper-text__item.pf-m-error")).getText());
            @SuppressWarnings("unchecked")
            var beside = (Map<String, Object>) b.driver.executeScript("""
                    const field = document.getElementById('slug'), help = document.getElementById('slug-helper');
                    const f = field.getBoundingClientRect(), h = help.getBoundingClientRect();
                    return {sameGroup: field.closest('.pf-v5-c-form__group') === help.closest('.pf-v5-c-form__group'),
                            below: h.top >= f.bottom - 1, near: h.top - f.bottom < 40, left: Math.abs(h.left - f.left) < 40};""");
            assertEquals(Map.of("sameGroup", true, "below", true, "near", true, "left", true), beside, "the message is right under its field");
            String banner = b.driver.findElement(By.cssSelector("#form-errors .pf-v5-c-alert__title")).getText();
            assertFalse(banner.contains("highlighted"), banner);
            assertFalse(banner.contains("is required"), "the banner and the field message are not run together: " + banner);
            assertTrue(banner.contains("beside it"), banner);
            b.screenshot("forms-create-tenant-empty.png");
            b.open("/admin/hosts/new");
            b.driver.findElement(By.id("save-host")).click();
            b.visible(By.id("form-errors"));
            b.screenshot("forms-host-errors.png");
        }
    }

    /** Issue 19, item 9: the host form shows the Docker-only fields only while Docker is chosen. */
    @Test
    void theHostFormShowsDockerOnlyFieldsOnlyForDocker() throws Exception {
        try (var b = new Browser(portal)) {
            b.signIn(DemoUser.CAROL);
            b.open("/admin/hosts/new");
            var kind = new org.openqa.selenium.support.ui.Select(b.visible(By.id("kind")));
            assertFalse(b.driver.findElement(By.id("storageAddress")).isDisplayed(), "KVM: no storage address");
            assertFalse(b.driver.findElement(By.id("docker-tls")).isDisplayed(), "KVM: no Docker TLS");
            kind.selectByValue("DOCKER");
            assertTrue(b.visible(By.id("storageAddress")).isDisplayed());
            assertTrue(b.driver.findElement(By.id("docker-tls")).isDisplayed());
            kind.selectByValue("KVM");
            assertFalse(b.driver.findElement(By.id("storageAddress")).isDisplayed());
        }
    }

    @Test
    void theTenantSwitcherIsDrawnForTheDarkMasthead() throws Exception {
        Api.as(DemoUser.ALICE).when().get("/api/v1/me").then().statusCode(200);
        Api.as(DemoUser.BOB).when().get("/api/v1/me").then().statusCode(200);
        try (var b = new Browser(portal)) {
            b.signIn(DemoUser.DAVE);
            var select = b.visible(By.id("tenant-switch"));
            @SuppressWarnings("unchecked")
            var look = (Map<String, Object>) b.driver.executeScript("""
                    const s = document.getElementById('tenant-switch'), label = document.querySelector('label[for=tenant-switch]');
                    const cs = getComputedStyle(s);
                    return {wrapped: s.parentElement.classList.contains('pf-v5-c-form-control'),
                            color: cs.color, background: cs.backgroundColor, appearance: cs.appearance,
                            labelShown: label.getBoundingClientRect().width > 0};""");
            assertEquals(true, look.get("wrapped"));
            assertEquals("rgb(255, 255, 255)", look.get("color"), "light text on the dark masthead");
            assertEquals("rgba(0, 0, 0, 0)", look.get("background"), "no white box");
            assertEquals("none", look.get("appearance"), "PatternFly draws it, not the browser");
            assertEquals(true, look.get("labelShown"), "a visible label, not a hidden one");
            assertTrue(select.findElements(By.tagName("option")).size() >= 2);
            b.screenshot("forms-tenant-switcher.png");
        }
    }
}
