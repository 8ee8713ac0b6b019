package dev.berth.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.Api;
import dev.berth.support.Browser;
import dev.berth.support.DemoUser;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.Select;

/**
 * The admin issue's "done when", clicked through in Chromium: carol registers the local Docker engine and
 * two libvirt test hosts, sees their real capacity, sets acme's quota in human units, and finds each of
 * those actions in the audit log.
 */
@QuarkusTest
class AdminBrowserTest {
    @TestHTTPResource("/")
    URL portal;

    @Test
    void carolRegistersHostsSetsAQuotaAndFindsItAllAudited() throws Exception {
        Api.as(DemoUser.ALICE).when().get("/api/v1/me").then().statusCode(200); // acme exists
        String suffix = Api.unique("ui");
        try (var b = new Browser(portal)) {
            b.signIn(DemoUser.CAROL);
            addHost(b, "docker-" + suffix, "DOCKER", "unix:///var/run/docker.sock", "127.0.0.1");
            addHost(b, "kvm-a-" + suffix, "KVM", "test://" + Path.of("src/test/resources/libvirt/host-a.xml").toAbsolutePath(), "");
            addHost(b, "kvm-b-" + suffix, "KVM", "test://" + Path.of("src/test/resources/libvirt/host-b.xml").toAbsolutePath(), "");

            // "Test connection" answers in place (htmx) with the host's real facts.
            for (String name : List.of("docker-" + suffix, "kvm-a-" + suffix, "kvm-b-" + suffix)) {
                int id = Api.as(DemoUser.CAROL).when().get("/api/v1/admin/hosts").then().extract()
                        .path("find { it.name == '" + name + "' }.id");
                b.driver.findElement(By.cssSelector("#host-" + id + " form[action$='/probe'] button")).click();
                String result = b.visible(By.cssSelector("#probe-" + id + " .probe-result")).getText();
                assertTrue(result.startsWith("Answered in"), name + ": " + result);
            }
            String kvmA = b.driver.findElement(By.xpath("//tr[.//strong[text()='kvm-a-" + suffix + "']]")).getText();
            assertTrue(kvmA.contains("12") && kvmA.contains("2 running / 3 domains"), kvmA);
            b.screenshot("admin-hosts.png", "admin-hosts.png");

            b.open("/admin/tenants/acme");
            b.type("memory", "20 GiB");
            b.type("storageSoft", "400G");
            b.type("storageHard", "0.5T");
            b.type("containerMemory", "1536M");
            b.driver.findElement(By.id("save-quota")).click();
            assertEquals("Quota of acme saved.", b.visible(By.id("flash")).getText());
            assertEquals("20 GiB", b.driver.findElement(By.id("memory")).getAttribute("value"));
            assertEquals("512 GiB", b.driver.findElement(By.id("storageHard")).getAttribute("value"));
            b.screenshot("admin-tenant-acme.png", "admin-tenant.png");

            b.open("/admin/audit?actor=carol");
            String log = b.visible(By.id("audit-table")).getText();
            for (String expected : List.of("docker-" + suffix, "kvm-a-" + suffix, "kvm-b-" + suffix)) {
                assertTrue(log.contains(expected), "audit shows " + expected);
            }
            assertTrue(log.contains("quota.set") && log.contains("host.create"), log);
            b.screenshot("admin-audit.png", "admin-audit.png");
        }
    }

    private static void addHost(Browser b, String name, String kind, String uri, String storage) {
        b.open("/admin/hosts/new");
        b.type("name", name);
        new Select(b.visible(By.id("kind"))).selectByValue(kind);
        b.type("uri", uri);
        if (!storage.isEmpty()) { // the form shows the storage address for a Docker host only
            b.type("storageAddress", storage);
        }
        b.driver.findElement(By.id("save-host")).click();
        assertTrue(b.visible(By.id("flash")).getText().contains("Host " + name + " registered"));
    }
}
