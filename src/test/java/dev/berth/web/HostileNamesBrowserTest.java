package dev.berth.web;

import static dev.berth.support.Api.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.Api;
import dev.berth.support.Browser;
import dev.berth.support.DemoUser;
import dev.berth.support.Storage;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * Names that people other than the viewer choose — a hypervisor's domain names, a tenant's display name, an access
 * key's description — carrying the payloads of the stored XSS report, on every page that shows them, for the admin
 * and for tenants, in Chromium: no dialog opens, no element has an inline event handler or a javascript: URL, the
 * pages log no Content-Security-Policy violation, and each name is shown as the plain text it is. Bucket names cannot
 * carry a payload (S3 naming allows lowercase letters, digits, dots and hyphens only): the API refuses one.
 */
@QuarkusTest
class HostileNamesBrowserTest {
    static final String QUOTE = "x'+alert(document.domain)+'";
    static final String TAG = "\"><img src=x onerror=alert(1)>";
    static final String QUOTE_UUID = "0bad0000-5e11-4000-8000-000000000001";
    static final String TAG_UUID = "0bad0000-5e11-4000-8000-000000000002";
    static final String TENANT_NAME = "Globex " + TAG + " " + QUOTE;
    static final String KEY_DESCRIPTION = "workers " + QUOTE + " " + TAG;

    /** Every element's attributes that run code: inline handlers (on…) and javascript: URLs. There must be none. */
    static final String SCRIPT_ATTRIBUTES = """
            const found = [];
            for (const e of document.querySelectorAll('*')) {
              for (const a of e.attributes) {
                if (a.name.toLowerCase().startsWith('on') || /^\\s*javascript:/i.test(a.value)) {
                  found.push(e.tagName + ' ' + a.name + '=' + a.value);
                }
              }
            }
            return found;""";

    @TestHTTPResource("/")
    URL portal;

    Integer hostId;
    List<Integer> assignments = List.of();
    String globexName;

    @AfterAll
    static void removeStorage() {
        Storage.remove("acme");
    }

    /** In the test method, not @AfterAll: RestAssured points at the application only while a test runs. */
    private void cleanUp() {
        if (!assignments.isEmpty()) {
            as(DemoUser.CAROL).body(Map.of("ids", assignments)).when().delete("/api/v1/admin/vms/assignments").then().statusCode(204);
        }
        if (hostId != null) {
            as(DemoUser.CAROL).when().delete("/api/v1/admin/hosts/" + hostId).then().statusCode(204);
        }
        if (globexName != null) {
            as(DemoUser.CAROL).body(Map.of("name", globexName)).when().put("/api/v1/admin/tenants/globex").then().statusCode(200);
        }
    }

    @Test
    void hostileNamesAreOnlyEverText() throws Exception {
        try {
            hostileNamesOnEveryPage();
        } finally {
            cleanUp();
        }
    }

    private void hostileNamesOnEveryPage() throws Exception {
        as(DemoUser.ALICE).when().get("/api/v1/me").then().statusCode(200);
        as(DemoUser.BOB).when().get("/api/v1/me").then().statusCode(200);
        Storage.quota("acme", "1 GiB", "2 GiB"); // also room for the machines
        hostId = as(DemoUser.CAROL).body(Map.of("name", Api.unique("hostile"), "kind", "KVM",
                        "uri", "test://" + Path.of("src/test/resources/libvirt/hostile.xml").toAbsolutePath()))
                .when().post("/api/v1/admin/hosts").then().statusCode(201).extract().path("id");
        assignments = as(DemoUser.CAROL).body(Map.of("tenant", "acme", "domains", List.of(
                        Map.of("hostId", hostId, "uuid", QUOTE_UUID), Map.of("hostId", hostId, "uuid", TAG_UUID))))
                .when().post("/api/v1/admin/vms/assignments").then().statusCode(201).extract().path("ids");
        globexName = as(DemoUser.CAROL).when().get("/api/v1/admin/tenants/globex").then().statusCode(200).extract().path("tenant.name");
        as(DemoUser.CAROL).body(Map.of("name", TENANT_NAME)).when().put("/api/v1/admin/tenants/globex").then().statusCode(200);
        Storage.ready("acme");
        String bucket = Api.unique("hostile");
        Storage.bucket(DemoUser.ALICE, bucket);
        String accessKey = as(DemoUser.ALICE).body(Map.of("mode", "read-only", "description", KEY_DESCRIPTION))
                .when().post("/api/v1/buckets/" + bucket + "/keys").then().statusCode(201).extract().path("key.accessKey");
        as(DemoUser.ALICE).body(Map.of("name", TAG)).when().post("/api/v1/buckets").then().statusCode(400);
        int quoteVm = assignments.get(0);
        int tagVm = assignments.get(1);

        try (var b = new Browser(portal)) {
            b.signIn(DemoUser.CAROL);
            check(b, "/admin/vms", QUOTE, TAG);
            check(b, "/admin/vms/advice", QUOTE, TAG);
            check(b, "/admin", TENANT_NAME);
            check(b, "/admin/tenants", TENANT_NAME);
            check(b, "/admin/tenants/globex", TENANT_NAME);
            check(b, "/admin/tenants/acme/keys", accessKey);
            check(b, "/admin/audit", TENANT_NAME);
            check(b, "/admin/vms/" + quoteVm + "/console", QUOTE);

            // The unassign confirmation is the name as text, from the static script; dismissed, nothing changes.
            b.open("/admin/vms");
            WebElement unassign = (WebElement) b.driver.executeScript("""
                    for (const s of document.querySelectorAll('#vms-table strong')) {
                      if (s.textContent === arguments[0]) return s.closest('tr').querySelector('button[form^="unassign-"]');
                    }
                    return null;""", QUOTE);
            unassign.click();
            assertEquals("Unassign " + QUOTE + " from acme? The machine itself is not touched.",
                    b.visible(By.id("confirm-dialog-body")).getText());
            b.driver.findElement(By.id("confirm-dialog-cancel")).click();
            b.wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("confirm-dialog")));
            noDialog(b, "/admin/vms after the dismissed confirmation");
            List<String> uuids = as(DemoUser.ALICE).queryParam("size", 500).when().get("/api/v1/vms").then().statusCode(200)
                    .extract().path("items.uuid");
            assertTrue(uuids.containsAll(List.of(QUOTE_UUID, TAG_UUID)), "both machines still assigned: " + uuids);
        }

        try (var b = new Browser(portal)) {
            b.signIn(DemoUser.ALICE);
            check(b, "/", "acme");
            check(b, "/machines", QUOTE, TAG);
            check(b, "/machines/" + quoteVm, QUOTE);
            check(b, "/machines/" + tagVm, TAG);
            check(b, "/machines/advice", QUOTE, TAG);
            check(b, "/machines/" + quoteVm + "/console", QUOTE);
            check(b, "/storage/buckets/" + bucket, KEY_DESCRIPTION);
            check(b, "/storage/buckets/" + bucket + "/keys/" + accessKey + "/mount", KEY_DESCRIPTION);
            check(b, "/storage/buckets/" + bucket + "/keys/" + accessKey + "/revoke", KEY_DESCRIPTION);
        }

        try (var b = new Browser(portal)) {
            b.signIn(DemoUser.BOB);
            check(b, "/", TENANT_NAME);
            check(b, "/machines", TENANT_NAME);
            check(b, "/usage", TENANT_NAME);
        }

        try (var b = new Browser(portal)) {
            b.signIn(DemoUser.DAVE); // acme and globex: the switcher lists the hostile name
            check(b, "/", TENANT_NAME);
            // The switcher submits itself from the static script (no inline onchange).
            new Select(b.visible(By.id("tenant-switch"))).selectByValue("globex");
            b.wait.until(ExpectedConditions.textToBe(By.id("dashboard-tenant"), TENANT_NAME));
            check(b, "/", TENANT_NAME);
        }
    }

    /** Opens the page and looks for every sign of script from data. */
    private static void check(Browser b, String path, String... shown) {
        b.open(path);
        b.visible(By.tagName("main"));
        noDialog(b, path);
        @SuppressWarnings("unchecked")
        List<String> scripted = (List<String>) b.driver.executeScript(SCRIPT_ATTRIBUTES);
        assertEquals(List.of(), scripted, path + ": attributes that run script");
        String text = (String) b.driver.executeScript("return document.body.innerText;");
        for (String s : shown) {
            assertTrue(text.contains(s), path + " shows " + s + " as text:\n" + text);
        }
        List<String> violations = new ArrayList<>();
        for (String m : b.consoleMessages()) {
            if (m.contains("Content Security Policy") || m.contains("Content-Security-Policy")) {
                violations.add(m);
            }
        }
        assertEquals(List.of(), violations, path + ": CSP violations");
    }

    private static void noDialog(Browser b, String where) {
        assertThrows(NoAlertPresentException.class, () -> b.driver.switchTo().alert(), where + ": a dialog opened");
    }
}
