package dev.berth.web;

import static dev.berth.support.Api.as;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.compute.StatsHistory;
import dev.berth.support.Api;
import dev.berth.support.Browser;
import dev.berth.support.DemoUser;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URL;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * Issue 19 in Chromium: lists whose rows change state refresh them by themselves (item 4), "Force off" sits in a
 * kebab menu (item 5), and a machine's graphs have axes, time marks, units and a value per sample (item 8).
 */
@QuarkusTest
class LivePagesBrowserTest {
    static final String RUNNING = "f1ee7000-0003-4000-8000-000000000001";
    static final String RUNNING_TOO = "f1ee7000-0003-4000-8000-000000000002";
    static final String RUNNING_THREE = "f1ee7000-0003-4000-8000-000000000003";

    @TestHTTPResource("/")
    URL portal;
    @Inject
    StatsHistory history;

    @Test
    void theMachineListRefreshesItsStatesByItself() throws Exception {
        try (var f = new Fleet(RUNNING); var b = new Browser(portal)) {
            long id = f.ids.get(0);
            b.signIn(DemoUser.ALICE);
            b.open("/machines");
            By state = By.id("machine-" + id + "-state");
            assertTrue(b.visible(state).getText().contains("running"), b.visible(state).getText());
            b.driver.executeScript("window.berthNotReloaded = true;");
            // Changed elsewhere (the API, as another tab or script would): the list shows it without a reload.
            as(DemoUser.ALICE).when().post("/api/v1/vms/" + id + "/actions/poweroff").then().statusCode(200);
            b.wait.until(ExpectedConditions.textToBePresentInElementLocated(state, "shut off"));
            assertEquals(true, b.driver.executeScript("return window.berthNotReloaded === true;"), "refreshed in place");
        }
    }

    @Test
    void theHostListRefreshesItsProbesByItself() throws Exception {
        try (var f = new Fleet(); var b = new Browser(portal)) {
            b.signIn(DemoUser.CAROL);
            as(DemoUser.CAROL).when().post("/api/v1/admin/hosts/" + f.host + "/probe").then().statusCode(200);
            b.open("/admin/hosts");
            By probed = By.cssSelector("#host-" + f.host + "-status time");
            String firstText = b.visible(probed).getText();
            String firstAt = b.driver.findElement(probed).getAttribute("datetime");
            assertTrue(b.driver.findElement(probed).getAttribute("title").endsWith(" UTC"));
            b.driver.executeScript("window.berthNotReloaded = true;");
            b.wait.until(d -> !d.findElement(probed).getText().equals(firstText)); // "just now" → "10 s ago": it ages
            // a later probe has a later time, to the second (the aging above usually took longer already)
            java.time.Instant first = java.time.Instant.parse(firstAt);
            dev.berth.support.PackagedApp.await("the next second", java.time.Duration.ofSeconds(5), java.time.Duration.ofMillis(20),
                    () -> java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).isAfter(first));
            as(DemoUser.CAROL).when().post("/api/v1/admin/hosts/" + f.host + "/probe").then().statusCode(200);
            b.wait.until(d -> !d.findElement(probed).getAttribute("datetime").equals(firstAt)); // the new probe arrives
            assertEquals(true, b.driver.executeScript("return window.berthNotReloaded === true;"), "refreshed in place");
        }
    }

    @Test
    void forceOffSitsInAKebabMenuOutOfTheMainRow() throws Exception {
        try (var f = new Fleet(RUNNING_TOO); var b = new Browser(portal)) {
            long id = f.ids.get(0);
            b.signIn(DemoUser.ALICE);
            b.open("/machines/" + id);
            b.visible(By.id("action-start"));
            @SuppressWarnings("unchecked")
            var mainRow = (List<String>) b.driver.executeScript("""
                    return Array.from(document.querySelectorAll('#machine-actions > form button, #machine-actions > a, #machine-actions > button'))
                      .map(e => e.textContent.trim());""");
            assertFalse(mainRow.contains("Force off"), "main row: " + mainRow);
            assertFalse(b.driver.findElement(By.id("action-poweroff")).isDisplayed(), "hidden until the menu opens");

            var toggle = b.driver.findElement(By.id("action-more"));
            toggle.click();
            assertEquals("true", toggle.getAttribute("aria-expanded"));
            assertTrue(b.visible(By.id("action-poweroff")).getAttribute("role").equals("menuitem"));
            b.driver.switchTo().activeElement().sendKeys(Keys.ESCAPE);
            b.wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("action-poweroff")));
            assertEquals("false", toggle.getAttribute("aria-expanded"));

            toggle.click();
            b.visible(By.id("action-poweroff")).click();
            assertTrue(b.driver.findElement(By.id("confirm-dialog-ok")).getAttribute("class").contains("pf-m-danger"));
            assertTrue(b.confirm().startsWith("Force fleet3-vm02 off?"));
            b.wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#machine-state .machine-state"), "shut off"));
        }
    }

    @Test
    void graphsHaveAxesUnitsTimeMarksAndAValuePerSample() throws Exception {
        try (var f = new Fleet(RUNNING_THREE)) {
            long id = f.ids.get(0);
            dev.berth.support.Sampling.untilRated(history, id);
            String html = given().auth().oauth2(DemoUser.ALICE.token()).when().get("/machines/" + id + "/graphs")
                    .then().statusCode(200).extract().asString();
            assertTrue(html.contains(">time (UTC)</text>"), "a time axis");
            assertTrue(Pattern.compile("text-anchor=\"end\" dominant-baseline=\"middle\">0 B</text>").matcher(html).find(), "y axis from 0 B");
            assertTrue(Pattern.compile("<circle class=\"berth-graph-dot[^\"]*\"[^>]*><title>\\d\\d:\\d\\d:\\d\\d UTC: [0-9.]+ %</title>").matcher(html).find(),
                    "a CPU value per sample, on hover");
            assertTrue(html.contains(">allocated 2 GiB</text>"), "the machine's memory as a line"); // fleet3-vm03: 512 MiB × (1 + 3 % 8)
            assertTrue(html.contains("resident memory of the machine&#39;s QEMU process") || html.contains("resident memory of the machine's QEMU process"),
                    "memory explained as libvirt reports it");
        }
    }

    /** A fleet-3 host of its own and machines of it assigned to acme; given back on close. */
    static final class Fleet implements AutoCloseable {
        final int host;
        final List<Integer> ids;

        Fleet(String... uuids) {
            Api.as(DemoUser.ALICE).when().get("/api/v1/me").then().statusCode(200);
            var q = new HashMap<String, Object>();
            q.put("vms", 1000); q.put("vcpus", 4000); q.put("memory", "4 TiB"); q.put("buckets", 20);
            q.put("storageSoft", "100G"); q.put("storageHard", "200G"); q.put("accessKeys", 20); q.put("containerCpus", 1);
            q.put("containerMemory", "1G"); q.put("containerReadBps", 0); q.put("containerWriteBps", 0);
            as(DemoUser.CAROL).body(q).when().put("/api/v1/admin/tenants/acme/quota").then().statusCode(200);
            host = as(DemoUser.CAROL).body(Map.of("name", Api.unique("live"), "kind", "KVM",
                            "uri", "test://" + Path.of("src/test/resources/libvirt/fleet-3.xml").toAbsolutePath()))
                    .when().post("/api/v1/admin/hosts").then().statusCode(201).extract().<Integer>path("id");
            var domains = java.util.Arrays.stream(uuids).map(u -> Map.of("hostId", (Object) host, "uuid", u)).toList();
            ids = domains.isEmpty() ? List.of() : as(DemoUser.CAROL).body(Map.of("tenant", "acme", "domains", domains))
                    .when().post("/api/v1/admin/vms/assignments").then().statusCode(201).extract().path("ids");
        }

        @Override
        public void close() {
            // The test driver keeps a domain's state per URI for the whole run: running again, as other classes expect.
            for (int id : ids) {
                int status = as(DemoUser.ALICE).when().post("/api/v1/vms/" + id + "/actions/start").then().extract().statusCode();
                assertTrue(status == 200 || status == 409, "start again: " + status);
            }
            if (!ids.isEmpty()) {
                as(DemoUser.CAROL).body(Map.of("ids", ids)).when().delete("/api/v1/admin/vms/assignments").then().statusCode(204);
            }
            as(DemoUser.CAROL).when().delete("/api/v1/admin/hosts/" + host).then().statusCode(204);
        }
    }
}
